from workflows.text import fold, search_words


def test_fold_ignores_diacritics_and_case() -> None:
    assert (
        fold("Ngày hội toàn dân bảo vệ AN NINH Tổ quốc")
        == "ngay hoi toan dan bao ve an ninh to quoc"
    )
    assert fold("Đội Tổng hợp - Công an huyện") == "doi tong hop - cong an huyen"
    assert fold("ngay hoi") in fold("Kế hoạch Ngày hội 2023")


def test_search_words_are_folded_split_and_each_kept_once() -> None:
    assert search_words("  Ngày HỘI\t2023 ngay ") == ["ngay", "hoi", "2023"]
    assert search_words(" ") == []
