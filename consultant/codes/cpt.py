"""CPT sections and code categories from public ranges, with no AMA descriptor text.

CPT descriptors are licensed by the AMA.  Without a licensed file imported, a CPT code
is placed in its section and subsection by number only, which is public knowledge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CATEGORY_I = re.compile(r"\d{5}")
# Category II (performance measures), Category III (emerging technology) and
# Proprietary Laboratory Analyses: four digits and a letter.
LETTER_CATEGORIES = {
    "F": "Category II (performance measurement)",
    "T": "Category III (emerging technology)",
    "U": "Proprietary Laboratory Analyses (PLA)",
}
_LETTER_CODE = re.compile(r"\d{4}[FTU]")

Range = tuple[int, int, str]

# Sections of Category I, in code order.  Medicine has two ranges because E/M sits in between.
SECTIONS: tuple[Range, ...] = (
    (100, 1999, "Anesthesia"),
    (10004, 69990, "Surgery"),
    (70010, 79999, "Radiology"),
    (80047, 89398, "Pathology and Laboratory"),
    (90281, 99199, "Medicine"),
    (99202, 99499, "Evaluation and Management"),
    (99500, 99607, "Medicine"),
)

# NOTE: subsections are the main public headings, not every heading of the code book.
# A code in a gap between them is reported with its section only.
SUBSECTIONS: tuple[Range, ...] = (
    (100, 222, "Head"),
    (300, 352, "Neck"),
    (400, 474, "Thorax (Chest Wall and Shoulder Girdle)"),
    (500, 580, "Intrathoracic"),
    (600, 670, "Spine and Spinal Cord"),
    (700, 797, "Upper Abdomen"),
    (800, 882, "Lower Abdomen"),
    (902, 952, "Perineum"),
    (1112, 1173, "Pelvis (Except Hip)"),
    (1200, 1274, "Upper Leg (Except Knee)"),
    (1320, 1444, "Knee and Popliteal Area"),
    (1462, 1522, "Lower Leg (Below Knee, Includes Ankle and Foot)"),
    (1610, 1680, "Shoulder and Axilla"),
    (1710, 1782, "Upper Arm and Elbow"),
    (1810, 1860, "Forearm, Wrist, and Hand"),
    (1916, 1936, "Radiological Procedures"),
    (1951, 1953, "Burn Excisions or Debridement"),
    (1958, 1969, "Obstetric"),
    (1990, 1999, "Other Procedures"),
    (10004, 10021, "General"),
    (10030, 19499, "Integumentary System"),
    (20100, 29999, "Musculoskeletal System"),
    (30000, 32999, "Respiratory System"),
    (33016, 37799, "Cardiovascular System"),
    (38100, 38999, "Hemic and Lymphatic Systems"),
    (39000, 39599, "Mediastinum and Diaphragm"),
    (40490, 49999, "Digestive System"),
    (50010, 53899, "Urinary System"),
    (54000, 55899, "Male Genital System"),
    (55920, 55920, "Reproductive System Procedures"),
    (55970, 55980, "Intersex Surgery"),
    (56405, 58999, "Female Genital System"),
    (59000, 59899, "Maternity Care and Delivery"),
    (60000, 60699, "Endocrine System"),
    (61000, 64999, "Nervous System"),
    (65091, 68899, "Eye and Ocular Adnexa"),
    (69000, 69979, "Auditory System"),
    (69990, 69990, "Operating Microscope"),
    (70010, 76499, "Diagnostic Radiology (Diagnostic Imaging)"),
    (76506, 76999, "Diagnostic Ultrasound"),
    (77001, 77022, "Radiologic Guidance"),
    (77046, 77067, "Breast, Mammography"),
    (77071, 77086, "Bone/Joint Studies"),
    (77261, 77799, "Radiation Oncology"),
    (78012, 79999, "Nuclear Medicine"),
    (80047, 80081, "Organ or Disease Oriented Panels"),
    (80143, 80377, "Drug Assay"),
    (80503, 80506, "Consultations (Clinical Pathology)"),
    (81000, 81099, "Urinalysis"),
    (81105, 81479, "Molecular Pathology"),
    (81490, 81599, "Multianalyte Assays with Algorithmic Analyses"),
    (82009, 84999, "Chemistry"),
    (85002, 85999, "Hematology and Coagulation"),
    (86000, 86849, "Immunology"),
    (86850, 86999, "Transfusion Medicine"),
    (87003, 87999, "Microbiology"),
    (88000, 88099, "Anatomic Pathology"),
    (88104, 88199, "Cytopathology"),
    (88230, 88299, "Cytogenetic Studies"),
    (88300, 88399, "Surgical Pathology"),
    (88720, 88749, "In Vivo (Transcutaneous) Laboratory Procedures"),
    (89049, 89240, "Other Procedures"),
    (89250, 89398, "Reproductive Medicine Procedures"),
    (90281, 90399, "Immune Globulins, Serum or Recombinant Products"),
    (90460, 90474, "Immunization Administration for Vaccines/Toxoids"),
    (90476, 90759, "Vaccines, Toxoids"),
    (90785, 90899, "Psychiatry"),
    (90901, 90913, "Biofeedback"),
    (90935, 90999, "Dialysis"),
    (91010, 91299, "Gastroenterology"),
    (92002, 92499, "Ophthalmology"),
    (92502, 92700, "Special Otorhinolaryngologic Services"),
    (92920, 93799, "Cardiovascular"),
    (93880, 93998, "Noninvasive Vascular Diagnostic Studies"),
    (94002, 94799, "Pulmonary"),
    (95004, 95199, "Allergy and Clinical Immunology"),
    (95249, 95251, "Endocrinology"),
    (95700, 96020, "Neurology and Neuromuscular Procedures"),
    (96105, 96146, "Central Nervous System Assessments/Tests"),
    (96156, 96171, "Health Behavior Assessment and Intervention"),
    (96360, 96549, "Hydration, Therapeutic, Prophylactic, Diagnostic Injections and Infusions"),
    (96567, 96574, "Photodynamic Therapy"),
    (96900, 96999, "Special Dermatological Procedures"),
    (97010, 97799, "Physical Medicine and Rehabilitation"),
    (97802, 97804, "Medical Nutrition Therapy"),
    (97810, 97814, "Acupuncture"),
    (98925, 98929, "Osteopathic Manipulative Treatment"),
    (98940, 98943, "Chiropractic Manipulative Treatment"),
    (98960, 98962, "Education and Training for Patient Self-Management"),
    (99000, 99082, "Special Services, Procedures and Reports"),
    (99100, 99140, "Qualifying Circumstances for Anesthesia"),
    (99151, 99157, "Moderate (Conscious) Sedation"),
    (99170, 99199, "Other Services and Procedures"),
    (99202, 99215, "Office or Other Outpatient Services"),
    (99221, 99239, "Hospital Inpatient and Observation Care Services"),
    (99242, 99255, "Consultations"),
    (99281, 99288, "Emergency Department Services"),
    (99291, 99292, "Critical Care Services"),
    (99304, 99316, "Nursing Facility Services"),
    (99341, 99350, "Home or Residence Services"),
    (99358, 99360, "Prolonged Services"),
    (99366, 99368, "Case Management Services"),
    (99374, 99380, "Care Plan Oversight Services"),
    (99381, 99429, "Preventive Medicine Services"),
    (99460, 99465, "Newborn Care Services"),
    (99466, 99486, "Inpatient Neonatal Intensive Care and Pediatric and Neonatal Critical Care"),
    (99487, 99491, "Care Management Services"),
    (99492, 99494, "Psychiatric Collaborative Care Management Services"),
    (99495, 99496, "Transitional Care Management Services"),
    (99497, 99498, "Advance Care Planning"),
    (99500, 99602, "Home Health Procedures/Services"),
    (99605, 99607, "Medication Therapy Management Services"),
)


@dataclass(frozen=True)
class CptPlacement:
    """Placement of a CPT code: its category and, for Category I, its section path."""

    code: str
    category: str
    section: str | None

    @property
    def recognised(self) -> bool:
        return self.section is not None or self.category != "Category I"


def _find(ranges: tuple[Range, ...], number: int) -> str | None:
    for first, last, name in ranges:
        if first <= number <= last:
            return name
    return None


def is_cpt_shape(code: str) -> bool:
    return bool(CATEGORY_I.fullmatch(code) or _LETTER_CODE.fullmatch(code))


def place(code: str) -> CptPlacement | None:
    """Place a normalised CPT code; None when it has no CPT shape."""
    if _LETTER_CODE.fullmatch(code):
        return CptPlacement(code, LETTER_CATEGORIES[code[-1]], LETTER_CATEGORIES[code[-1]])
    if not CATEGORY_I.fullmatch(code):
        return None
    number = int(code)
    section = _find(SECTIONS, number)
    if section is None:
        return CptPlacement(code, "Category I", None)
    subsection = _find(SUBSECTIONS, number)
    path = f"{section} > {subsection}" if subsection else section
    return CptPlacement(code, "Category I", path)
