"""What the exercise tests share: reading the one verdict a checker printed."""


def verdict(capsys) -> str:
    """The verdict the checker printed (and assert that it printed exactly one)."""
    printed = capsys.readouterr().out
    assert printed.startswith(("✅ Correct — ", "❌ Not yet: ")), printed
    assert printed.count("✅") + printed.count("❌") == 1, printed
    return printed
