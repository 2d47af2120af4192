from workflows.text import fold


def test_fold_ignores_diacritics_and_case() -> None:
    assert (
        fold("Ngày hội toàn dân bảo vệ AN NINH Tổ quốc")
        == "ngay hoi toan dan bao ve an ninh to quoc"
    )
    assert fold("Đội Tổng hợp - Công an huyện") == "doi tong hop - cong an huyen"
    assert fold("ngay hoi") in fold("Kế hoạch Ngày hội 2023")
