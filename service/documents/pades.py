"""Digital signatures on an issued PDF (PAdES, with pyHanko), and their check.

Nghị định 30/2020, Phụ lục I, Phần II: an electronic document carries the signer's signature at
the signature block, then the issuing agency's, whose appearance (the seal, in red) covers about a
third of the signer's on the left and shows the agency's name and the signing time (ISO 8601). Each
is an incremental update: the signer's revision stays verifiable inside the agency's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from io import BytesIO

from asn1crypto import crl, x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.stamp import TextStampStyle

from service.documents.keys import validation_context
from service.documents.layout import Box, Stamp

VIETNAM = timezone(timedelta(hours=7))


@dataclass(frozen=True)
class Seal:
    """One signature to apply: its field, who signs, and where its appearance was drawn."""

    field: str
    signer: signers.Signer
    box: Box


@dataclass(frozen=True)
class SignatureCheck:
    field: str
    signer: str  # the certificate's common name
    organisation: str
    signed_at: datetime | None
    intact: bool  # the bytes it covers are the bytes it signed
    valid: bool  # the cryptography holds
    trusted: bool  # the certificate chains to a configured trust root, and is not revoked
    whole_file: bool  # nothing but later signatures was added after it

    revoked: bool = False  # the certificate is on a revocation list at hand
    timestamped_at: datetime | None = None  # an RFC 3161 timestamp's time, when it holds
    timestamp_trusted: bool = False  # the timestamp authority chains to a trust root
    problem: str = ""  # why it could not be checked at all (a damaged signature)

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and not self.revoked


def timestamper(tsa_url: str | None) -> TimeStamper | None:
    """The RFC 3161 time-stamping authority at `tsa_url` (HTTP POST), or None."""
    return HTTPTimeStamper(tsa_url) if tsa_url else None


def sign(pdf: bytes, seals: Sequence[Seal], tsa: TimeStamper | None = None) -> bytes:
    """`pdf` with each seal applied in order, one incremental revision each. The appearances are
    already on the page (drawn with the document's own font, `render_pdf`'s stamps): each
    signature's widget covers its own, so a viewer opens that signature's details there. With
    `tsa`, each signature carries the authority's timestamp of its signing time (PAdES B-T)."""
    for seal in seals:
        box = seal.box
        spec = fields.SigFieldSpec(
            seal.field,
            on_page=box.page,
            box=(int(box.left), int(box.bottom), int(box.right), int(box.top)),
        )
        meta = signers.PdfSignatureMetadata(
            field_name=seal.field, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
        )
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        style = TextStampStyle(stamp_text="", border_width=0)
        signer = signers.PdfSigner(
            meta, seal.signer, timestamper=tsa, stamp_style=style, new_field_spec=spec
        )
        out = signer.sign_pdf(writer)
        pdf = out.getvalue()
    return pdf


def check(
    pdf: bytes,
    trust_roots: Sequence[x509.Certificate],
    crls: Sequence[crl.CertificateList] = (),
) -> list[SignatureCheck]:
    """Every signature of `pdf`, checked against `trust_roots` and the revocation lists `crls`
    (no network fetching); a damaged one is reported as such, never raised."""
    try:
        embedded_signatures = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures
    except Exception as err:  # noqa: BLE001 -- any damage to the file is a finding, not a crash
        return [_damaged("", err)]
    found = []
    for embedded in embedded_signatures:
        try:
            found.append(_checked(embedded, trust_roots, crls))
        except Exception as err:  # noqa: BLE001 -- as above
            found.append(_damaged(embedded.field_name, err))
    return found


def _checked(
    embedded: EmbeddedPdfSignature,
    roots: Sequence[x509.Certificate],
    crls: Sequence[crl.CertificateList],
) -> SignatureCheck:
    status = validate_pdf_signature(embedded, validation_context(roots, crls))
    subject = status.signing_cert.subject.native
    level = status.modification_level
    stamped = status.timestamp_validity
    return SignatureCheck(
        field=embedded.field_name,
        signer=str(subject.get("common_name", "")),
        organisation=str(subject.get("organization_name", "")),
        signed_at=status.signer_reported_dt,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        whole_file=level is not None and level.name in {"NONE", "LTA_UPDATES", "FORM_FILLING"},
        revoked=status.revoked,
        timestamped_at=stamped.timestamp if stamped and stamped.intact and stamped.valid else None,
        timestamp_trusted=bool(stamped and stamped.trusted),
    )


def _damaged(field: str, err: Exception) -> SignatureCheck:
    return SignatureCheck(field, "", "", None, False, False, False, False, problem=str(err)[:200])


def is_signed(pdf: bytes) -> bool:
    return bool(PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures)


def stamps_for(signer_name: str, agency_name: str, when: datetime) -> tuple[Stamp, Stamp]:
    """The two appearances: the signer's name, the agency's; each with the time in ISO 8601,
    Vietnam time."""
    at = when.astimezone(VIETNAM).isoformat(timespec="seconds")
    return (
        Stamp("signer", (f"Ký số bởi: {signer_name}", f"Thời gian: {at}")),
        Stamp("agency", (agency_name, at)),
    )
