"""Names of the simulated province's agencies, in the order the lab hands them out.

Departments first, then commune and ward people's committees: since 1 July 2025 there is no
district level, so communes and wards sit directly under the province.
"""

from __future__ import annotations

AGENCIES: tuple[tuple[str, str], ...] = (
    ("so-khcn", "Sở Khoa học và Công nghệ"),
    ("so-tc", "Sở Tài chính"),
    ("p-phan-dinh-phung", "UBND phường Phan Đình Phùng"),
    ("so-nv", "Sở Nội vụ"),
    ("so-yt", "Sở Y tế"),
    ("x-dai-tu", "UBND xã Đại Từ"),
    ("so-gddt", "Sở Giáo dục và Đào tạo"),
    ("vp-ubnd", "Văn phòng UBND tỉnh"),
    ("p-gia-sang", "UBND phường Gia Sàng"),
    ("so-xd", "Sở Xây dựng"),
    ("so-nnmt", "Sở Nông nghiệp và Môi trường"),
    ("x-dinh-hoa", "UBND xã Định Hóa"),
    ("so-tp", "Sở Tư pháp"),
    ("so-ct", "Sở Công Thương"),
    ("p-pho-yen", "UBND phường Phổ Yên"),
    ("so-vhttdl", "Sở Văn hóa, Thể thao và Du lịch"),
    ("p-song-cong", "UBND phường Sông Công"),
    ("x-phu-luong", "UBND xã Phú Lương"),
    ("x-vo-nhai", "UBND xã Võ Nhai"),
    ("x-phu-binh", "UBND xã Phú Bình"),
    ("p-duc-xuan", "UBND phường Đức Xuân"),
    ("x-ba-be", "UBND xã Ba Bể"),
    ("x-cho-don", "UBND xã Chợ Đồn"),
    ("x-na-ri", "UBND xã Na Rì"),
    ("x-ngan-son", "UBND xã Ngân Sơn"),
    ("p-tich-luong", "UBND phường Tích Lương"),
    ("p-quyet-thang", "UBND phường Quyết Thắng"),
    ("so-dt", "Sở Dân tộc và Tôn giáo"),
    ("so-gtvt", "Sở Giao thông vận tải"),
    ("x-pac-nam", "UBND xã Pác Nặm"),
)


def agency(index: int) -> tuple[str, str]:
    """Site id and Vietnamese name of agency ``index`` (1-based); generic past the list."""
    if index <= len(AGENCIES):
        return AGENCIES[index - 1]
    return (f"co-quan-{index:03d}", f"Cơ quan số {index}")
