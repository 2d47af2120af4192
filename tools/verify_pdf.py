#!/usr/bin/env python3
"""Check the digital signatures of an issued PDF offline: no database, no network.

    python3 verify_pdf.py 1-KH-BCĐ-2023.pdf --trust ca.pem [--crl ca.crl]

Needs Python 3.11+ and pyHanko. Prints one line per signature: the field (signer or agency),
who signed (the certificate's common name), for which organisation, when (the timestamp
authority's time when there is one, else the time the signer's software wrote), and whether it
is intact (the bytes it covers are those it signed), valid (the cryptography holds), trusted
(its certificate chains to a certificate of `--trust`), not revoked (on no list of `--crl`), and
whether anything but later signatures was added after it. Exit status 0: every signature holds;
1: one does not, or the PDF carries none; 2: the PDF or a certificate file cannot be read.

Like verify_export.py, this imports nothing of the service: whoever receives a document checks
it with the library, not with the code that made it.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

from asn1crypto import crl, pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)

VIETNAM = timezone(timedelta(hours=7))
# nothing but these was changed after a signature (pyHanko's modification levels)
UNCHANGED = {"NONE", "LTA_UPDATES", "FORM_FILLING"}


@dataclass(frozen=True)
class Checked:
    field: str
    signer: str
    organisation: str
    at: datetime | None
    timestamped: bool  # `at` is a timestamp authority's, not the signer's own clock
    intact: bool
    valid: bool
    trusted: bool
    revoked: bool
    whole_file: bool
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and not self.revoked

    def line(self) -> str:
        when = self.at.astimezone(VIETNAM).isoformat(timespec="seconds") if self.at else "?"
        source = "timestamp" if self.timestamped else "signer's clock"
        verdict = "VALID" if self.ok else "NOT VALID"
        marks = ", ".join(
            f"{name}: {'yes' if value else 'no'}"
            for name, value in (
                ("intact", self.intact),
                ("valid", self.valid),
                ("trusted", self.trusted),
                ("revoked", self.revoked),
                ("changed after", not self.whole_file),
            )
        )
        who = f"{self.signer} ({self.organisation})" if self.organisation else self.signer
        text = f"{verdict}  [{self.field}] {who or '?'}, {when} ({source}); {marks}"
        return f"{text}; {self.problem}" if self.problem else text


def load_certificates(path: Path) -> list[x509.Certificate]:
    """Every certificate of a PEM or DER file."""
    data = path.read_bytes()
    if not pem.detect(data):
        return [x509.Certificate.load(data)]
    return [x509.Certificate.load(der) for kind, _, der in pem.unarmor(data, multiple=True)]


def load_crls(path: Path) -> list[crl.CertificateList]:
    data = path.read_bytes()
    if not pem.detect(data):
        return [crl.CertificateList.load(data)]
    return [crl.CertificateList.load(der) for _, _, der in pem.unarmor(data, multiple=True)]


def context(roots: list[x509.Certificate], crls: list[crl.CertificateList]) -> ValidationContext:
    """The service's rule (service/documents/keys.py): with lists at hand, a signer's
    certificate must be found on none of them."""
    rule = RevocationCheckingRule.CRL_REQUIRED if crls else RevocationCheckingRule.NO_CHECK
    policy = RevocationCheckingPolicy(rule, RevocationCheckingRule.CHECK_IF_DECLARED_SOFT)
    return ValidationContext(
        trust_roots=roots,
        crls=crls,
        allow_fetching=False,
        revinfo_policy=CertRevTrustPolicy(policy),
    )


def check(
    pdf: bytes, roots: list[x509.Certificate], crls: list[crl.CertificateList]
) -> list[Checked]:
    """Every signature of `pdf`; a damaged one is reported, never raised."""
    found = []
    for embedded in PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures:
        try:
            status = validate_pdf_signature(embedded, context(roots, crls))
        except Exception as err:  # noqa: BLE001 -- a damaged signature is a finding
            found.append(
                Checked(embedded.field_name, "", "", None, False, *[False] * 5, str(err)[:200])
            )
            continue
        subject = status.signing_cert.subject.native
        stamp = status.timestamp_validity
        stamped = stamp is not None and stamp.intact and stamp.valid
        level = status.modification_level
        found.append(
            Checked(
                field=embedded.field_name,
                signer=str(subject.get("common_name", "")),
                organisation=str(subject.get("organization_name", "")),
                at=stamp.timestamp if stamp is not None and stamped else status.signer_reported_dt,
                timestamped=stamped,
                intact=status.intact,
                valid=status.valid,
                trusted=status.trusted,
                revoked=status.revoked,
                whole_file=level is not None and level.name in UNCHANGED,
            )
        )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pdf", type=Path)
    parser.add_argument(
        "--trust", type=Path, required=True, help="PEM of the trusted CAs", action="append"
    )
    parser.add_argument("--crl", type=Path, action="append", default=[], help="revocation lists")
    args = parser.parse_args(argv)
    try:
        roots = [cert for path in args.trust for cert in load_certificates(path)]
        crls = [entry for path in args.crl for entry in load_crls(path)]
        pdf = args.pdf.read_bytes()
        checked = check(pdf, roots, crls)
    except Exception as err:  # noqa: BLE001 -- unreadable input: say so, exit 2
        print(f"cannot read: {err}", file=sys.stderr)
        return 2
    if not checked:
        print(f"{args.pdf}: no digital signature")
        return 1
    for one in checked:
        print(one.line())
    bad = sum(not one.ok for one in checked)
    print(f"{args.pdf}: {len(checked) - bad} of {len(checked)} signatures valid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
