"""Official documents in the form of Nghị định 30/2020/NĐ-CP, written as DOCX and PDF.

Pure: data in, bytes out. `layout` holds what every document carries (motto, issuer, number,
place and date, title, body, signature, recipients); `content` builds that from a plan or a
report, one builder per kind; `docx` and `pdf` write one layout two ways.
"""
