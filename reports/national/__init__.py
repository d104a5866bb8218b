"""National incident report drafts (Thông tư 20/2017/TT-BTTTT): the notice, Mẫu 03, Mẫu 04
and the six-monthly Mẫu 05, filled from the incident record, with the evidence bundle.

What the forms say (headings, motto, labels, field order, deadlines) is versioned data under
``forms/<template>/``; ``reporting.yaml`` (``config.py``) holds who reports to whom. The
collector makes the drafts (``collector/api/reports.py``); people edit, sign and seal them.
See docs/reports.md.
"""
