"""``caseconsultant codes``: load, import and look up code sets."""

from __future__ import annotations

import json
import re
import sys
from datetime import date, datetime
from pathlib import Path

import click
from sqlalchemy.orm import Session

from consultant.codes import cpt_import, edits_import, hcpcs, importers, ncci
from consultant.codes.check import CheckResult, check_codes, parse_items
from consultant.codes.info import CodeInfo, reported_status
from consultant.codes.lookup import (
    SYSTEMS,
    describe,
    describe_any,
    ended_edition_note,
    is_shaped,
    split_codes,
)
from consultant.codes.releases import SYSTEM_NAMES, last_day_in_force, list_releases
from consultant.codes.search import DEFAULT_LIMIT, search
from consultant.storage import session_scope
from consultant.storage.ids import MAX_ID


class _IsoDate(click.DateTime):
    """A date written YYYY-MM-DD, rejected with the format and an example when it is not."""

    name = "date"

    def __init__(self) -> None:
        super().__init__(formats=["%Y-%m-%d"])

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM-DD"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> datetime:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
                problem = f"{value!r} is not a calendar date"
            else:
                problem = f"{value!r} is not written YYYY-MM-DD"
            self.fail(f"{problem}; give year, month and day, for example 2026-11-25",
                      param, ctx)


class _HcpcsFile(click.Path):
    """The path of a HCPCS Level II file, with a message naming the file when it is missing."""

    def get_missing_message(self, param: click.Parameter, ctx: click.Context | None) -> str:
        return ("Give the CMS HCPCS Level II file (the ANWEB .xlsx, its .csv, or the "
                "fixed-width .txt), for example: caseconsultant codes import hcpcs "
                "HCPC2025_OCT_ANWEB.xlsx")


_DATE = _IsoDate()


def _as_date(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@click.group()
def codes() -> None:
    """Load, import and look up code sets."""


@codes.command()
def load() -> None:
    """Load the bundled code sets: ICD-10-CM FY2026 from the simple-icd-10-cm package."""
    with session_scope() as session:
        result = importers.import_icd10cm(session)
    click.echo(result.summary())


@codes.group("import")
def import_group() -> None:
    """Import an official code-set file."""


@import_group.command("icd10cm")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
def import_icd10cm(path: Path) -> None:
    """Import a CDC ICD-10-CM tabular XML file."""
    with session_scope() as session:
        result = importers.import_icd10cm(session, path)
    click.echo(result.summary())


@import_group.command("icd10pcs")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--definitions",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Definitions XML; default: the icd10pcs_definitions file beside PATH.",
)
def import_icd10pcs(path: Path, definitions: Path | None) -> None:
    """Import the CMS ICD-10-PCS tables XML (a file, or the folder that has it)."""
    with session_scope() as session:
        results = importers.import_icd10pcs(session, path, definitions)
    for result in results:
        click.echo(result.summary())


@import_group.command("hcpcs")
@click.argument("path", type=_HcpcsFile(path_type=Path, dir_okay=False))
@click.option("--edition", help="Edition name, such as '2025 Oct'; default from the file name.")
@click.option("--effective-from", type=_DATE,
              help="First date of service, YYYY-MM-DD; default from the file name.")
def import_hcpcs(path: Path, edition: str | None, effective_from: datetime | None) -> None:
    """Import a CMS HCPCS Level II file (ANWEB .xlsx, its .csv, or fixed-width .txt).

    It contains the HCPCS Level II codes and modifiers. The edition and its first date
    of service come from a file name such as HCPC2025_OCT_ANWEB.xlsx; give them with
    --edition and --effective-from when the file was renamed.
    """
    needed = [name for name, value in (("--edition", edition),
                                       ("--effective-from", effective_from)) if value is None]
    if needed and path.is_file() and hcpcs.edition_from_name(path) is None:
        examples = {"--edition": "--edition '2025 Oct'", "--effective-from":
                    "--effective-from 2025-10-01"}
        raise click.UsageError(
            f"the file name {path.name!r} does not show the quarter the way CMS names its "
            f"files (HCPC2025_OCT_ANWEB.xlsx), so give {' and '.join(needed)}, for example: "
            + " ".join(examples[name] for name in needed)
        )
    with session_scope() as session:
        result = importers.import_hcpcs(
            session, path, edition=edition, effective_from=_as_date(effective_from)
        )
    click.echo(result.summary())


_FILES = click.Path(path_type=Path, dir_okay=False)
_EDITION = click.option("--edition", help="Edition name; default from the file name.")
_EFFECTIVE = click.option(
    "--effective-from", type=_DATE, help="First date of service, YYYY-MM-DD; default from the file."
)


@import_group.command("ncci-ptp")
@click.argument("paths", nargs=-1, required=True, type=_FILES)
@click.option(
    "--setting",
    type=click.Choice(ncci.PTP_SETTINGS),
    default="practitioner",
    show_default=True,
    help="Which PTP edits the files hold.",
)
@_EDITION
@_EFFECTIVE
def import_ptp(
    paths: tuple[Path, ...], setting: str, edition: str | None, effective_from: datetime | None
) -> None:
    """Import NCCI procedure-to-procedure edit files of one quarter (all parts at once)."""
    with session_scope() as session:
        result = edits_import.import_ptp(
            session,
            paths,
            setting=setting,
            edition=edition,
            effective_from=_as_date(effective_from),
        )
    click.echo(result.summary())


@import_group.command("mue")
@click.argument("path", type=_FILES)
@click.option(
    "--setting",
    type=click.Choice(ncci.MUE_SETTINGS),
    help="Which MUE file this is; default from its headings.",
)
@_EDITION
@_EFFECTIVE
def import_mue(
    path: Path, setting: str | None, edition: str | None, effective_from: datetime | None
) -> None:
    """Import an NCCI medically unlikely edit (MUE) file."""
    with session_scope() as session:
        result = edits_import.import_mue(
            session, path, setting=setting, edition=edition, effective_from=_as_date(effective_from)
        )
    click.echo(result.summary())


@import_group.command("aoc")
@click.argument("paths", nargs=-1, required=True, type=_FILES)
@_EDITION
@_EFFECTIVE
def import_aoc(
    paths: tuple[Path, ...], edition: str | None, effective_from: datetime | None
) -> None:
    """Import the NCCI add-on code edit file."""
    with session_scope() as session:
        result = edits_import.import_aoc(
            session, paths, edition=edition, effective_from=_as_date(effective_from)
        )
    click.echo(result.summary())


@import_group.command("rvu")
@click.argument("path", type=_FILES)
@_EDITION
@_EFFECTIVE
def import_rvu(path: Path, edition: str | None, effective_from: datetime | None) -> None:
    """Import a CMS Physician Fee Schedule RVU file (PPRRVU); descriptors are not kept."""
    with session_scope() as session:
        result = edits_import.import_rvu(
            session, path, edition=edition, effective_from=_as_date(effective_from)
        )
    click.echo(result.summary())


@import_group.command("cpt")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--edition", required=True, help="CPT year of the files, such as 2026.")
@_EFFECTIVE
@click.option("--consumer", type=_FILES, help="Consumer-friendly descriptor file.")
@click.option("--clinician", type=_FILES, help="Clinician descriptor file.")
def import_cpt(
    path: Path,
    edition: str,
    effective_from: datetime | None,
    consumer: Path | None,
    clinician: Path | None,
) -> None:
    """Import licensed AMA CPT data files (LONGULT.txt, or the folder that has it)."""
    with session_scope() as session:
        result = cpt_import.import_cpt(
            session,
            path,
            edition=edition,
            effective_from=_as_date(effective_from),
            consumer=consumer,
            clinician=clinician,
        )
    click.echo(result.summary())


# Exit statuses of ``codes lookup`` and ``codes check``, which their help lists.
EXIT_NOT_FOUND = 1
EXIT_NOT_CHECKED = 3
EXIT_NOT_BILLABLE = 4
# Statuses of a code that exists but cannot be billed as written on the date of service.
_NOT_BILLABLE = ("header", "incomplete", "terminated")


def _print_info(info: CodeInfo) -> None:
    status = "not checked" if info.unchecked else info.status.replace("_", " ")
    # A code shaped like no code has no system, as in the web lookup.
    system = f" [{info.system}]" if info.system else ""
    click.echo(f"{info.code}{system} {status}")
    # The messages come first: "J1100 was not checked as a code of HCPCS Level II" changes
    # how the reading below it is to be taken.
    for message in info.messages:
        click.echo(f"  ! {message}")
    billable = None
    if info.billable is not None:
        billable = "yes" if info.billable else "no"
    for label, value in (
        ("description", info.description),
        ("section", info.section),
        ("billable", billable),
        ("source", info.source),
    ):
        if value:
            click.echo(f"  {label}: {value}")
    for kind, texts in info.notes.items():
        click.echo(f"  {kind}:")
        for text in texts:
            click.echo(f"    - {text}")


# A CPT or HCPCS code with modifiers glued on by dashes: "99213-25", "27447-RT-80".
_GLUED_MODIFIERS = re.compile(r"(?P<code>[0-9A-Za-z]\d{3}[0-9A-Za-z])(?:-[0-9A-Za-z]{2})+")


@codes.command()
@click.argument("codes", nargs=-1, required=True)
@click.option("--system", type=click.Choice(SYSTEMS), help="Code system; default: guessed.")
@click.option("--date", "on", type=_DATE,
              help="Date of service, YYYY-MM-DD; without it, the newest edition loaded is "
                   "used, and today decides whether that edition has ended.")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON instead of text: one object, or a list of them for several codes.")
def lookup(codes: tuple[str, ...], system: str | None, on: datetime | None,
           as_json: bool) -> None:
    """Describe each of CODES as the edition in force on the date of service describes it.

    Codes are separated by spaces or commas, within one argument or across several:
    "E11.4 E11.40" and E11.4,E11.40 both look up two codes. A comma right after an
    ICD-10-CM category is read as the dot unless a code follows it, so E11,40 is
    E11.40 but E11,I10 is two codes. Modifiers glued to a procedure code ("99213-25")
    are left out of the lookup.

    \b
    Exit status:
      0  the code was found and can be billed, or placed in a public
         CPT section
      1  not found: the loaded code sets do not have the code, or it
         is shaped like no code
      3  not checked: the code is missing from an edition that is not
         in force on the date of service (today without --date), or
         its code set is not loaded, so its absence proves nothing;
         the output says what to import, and --json prints
         the status "not_checked"
      4  found, but not billable as written on the date of service: a
         header, a code that needs a 7th character, or a terminated
         code

    With several codes, the exit status is 1 when any code is not found, else 3 when
    any code was not checked, else 4 when any code is not billable, else 0.
    """
    written = split_codes(" ".join(codes))
    if not written:
        raise click.BadParameter("the code is empty", param_hint="CODES")
    with session_scope() as session:
        infos = [_look_up(session, code, system, _as_date(on)) for code in written]
    if as_json:
        answers = [_json_answer(info) for info in infos]
        click.echo(json.dumps(answers[0] if len(answers) == 1 else answers, indent=2))
    else:
        for number, info in enumerate(infos):
            if number:
                click.echo("")
            _print_info(info)
    if any(info.status == "not_found" and not info.unchecked for info in infos):
        sys.exit(EXIT_NOT_FOUND)
    if any(info.unchecked for info in infos):
        sys.exit(EXIT_NOT_CHECKED)
    if any(info.status in _NOT_BILLABLE for info in infos):
        sys.exit(EXIT_NOT_BILLABLE)


def _look_up(session: Session, code: str, system: str | None, on: date | None) -> CodeInfo:
    glued = _GLUED_MODIFIERS.fullmatch(code)
    if glued is not None:
        code = glued["code"]
    info = describe(session, system, code, on) if system else describe_any(session, code, on)
    # Found codes get the note too, as in drafts, because a newer edition may describe
    # them differently. A code of no valid shape gets none, because no edition has it.
    if is_shaped(info.system, info.code):
        ended = ended_edition_note(session, info.system, on, info.code)
        if ended:
            info.messages.append(ended)
    return info


def _json_answer(info: CodeInfo) -> dict[str, object]:
    answer = info.to_dict()
    answer["status"] = reported_status(info.status, info.unchecked)
    return answer


@codes.command("search")
@click.argument("phrase")
# Code ids are int4, so no search has more than MAX_ID hits. A larger limit can overflow
# the database driver, and SQLite reads a negative one as no limit.
@click.option("--limit", type=click.IntRange(1, MAX_ID), default=DEFAULT_LIMIT,
              show_default=True, help="Maximum number of hits.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def search_command(phrase: str, limit: int, as_json: bool) -> None:
    """Find codes whose descriptors match the words of PHRASE, best first."""
    if not phrase.strip():
        raise click.BadParameter("the phrase is empty; give words of a descriptor, such as "
                                 "'diabetic amyotrophy'", param_hint="PHRASE")
    with session_scope() as session:
        hits = search(session, phrase, limit=limit)
    if as_json:
        click.echo(json.dumps([hit.to_dict() for hit in hits], indent=2))
        return
    if not hits:
        click.echo("no matches")
    for hit in hits:
        click.echo(f"{hit.system:9} {hit.code:9} {hit.description}")


@codes.command()
@click.argument("items", nargs=-1, required=True)
@click.option("--date", "on", type=_DATE, help="Date of service, YYYY-MM-DD; default newest.")
@click.option(
    "--setting",
    type=click.Choice(ncci.PTP_SETTINGS),
    default="practitioner",
    show_default=True,
    help="Practitioner or outpatient hospital edits.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def check(items: tuple[str, ...], on: datetime | None, setting: str, as_json: bool) -> None:
    """Check the codes of one question against NCCI edits.

    ITEMS are codes, each optionally with units as CODE:UNITS (97110:4).
    Each item is a claim line: a code given twice is two lines, whose
    units an MUE adds up or checks one by one as its adjudication
    indicator says.

    \b
    Exit status:
      0  every kind of edit was checked: PTP pairs, MUE units and
         add-on codes; the output lists the edits that apply
      3  not checked: an edit file (PTP with two codes or more, MUE
         or add-on codes) is not loaded, or no loaded edition of it
         is in force on --date, so edits it would hold may apply;
         the output names the file to import, and --json lists
         the files in "unchecked"
    """
    try:
        parsed = parse_items(list(items))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="ITEMS") from error
    with session_scope() as session:
        result = check_codes(session, parsed, _as_date(on), setting=setting)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        _print_check(result)
    if result.unchecked:
        sys.exit(EXIT_NOT_CHECKED)


def _print_check(result: CheckResult) -> None:
    for edit in result.pair_edits:
        click.echo(
            f"PTP {edit.column1} + {edit.column2}: modifier indicator "
            f"{edit.modifier_indicator} ({edit.meaning})"
        )
    for limit in result.unit_limits:
        verdict = ""
        if limit.exceeded is not None:
            verdict = " EXCEEDED" if limit.exceeded else " ok"
        reported = ""
        if limit.units is not None:
            reported = f", {limit.units} reported{limit.lines_phrase()}"
        click.echo(f"MUE {limit.code}: {limit.limit} units{reported}{verdict} ({limit.meaning})")
    for addon in result.lone_add_ons:
        click.echo(f"AOC {addon.message}")
    if not result.sources:
        # Nothing was checked, so "no edits apply" would claim a check that did not run.
        click.echo("not checked: no NCCI edit file is loaded")
    elif not (result.pair_edits or result.unit_limits or result.lone_add_ons):
        click.echo("no NCCI edits apply" if not result.unchecked
                   else "no NCCI edits apply in the edit files checked")
    if result.sources and result.unchecked:
        names = ", ".join(SYSTEM_NAMES.get(system, system) for system in result.unchecked)
        click.echo(f"not checked: {names}")
    for message in result.messages:
        click.echo(f"  ! {message}")


@codes.command()
def releases() -> None:
    """List every imported edition, newest last within each system."""
    with session_scope() as session:
        rows = list_releases(session)
        if not rows:
            click.echo("no code sets imported; run: caseconsultant codes load")
            return
        # Columns widen to the longest value, such as "pcs_definitions", to stay aligned.
        system_width = max(9, *(len(release.system) for release in rows))
        edition_width = max(28, *(len(release.edition) for release in rows))
        for release in rows:
            # A quarterly HCPCS file ends with its quarter, though it is stored open-ended.
            last_day = last_day_in_force(release)
            until = last_day.isoformat() if last_day else "open"
            click.echo(
                f"{release.id:4} {release.system:{system_width}} "
                f"{release.edition:{edition_width}} "
                f"{release.effective_from.isoformat()}..{until:10} {release.row_count:7} rows  "
                f"{release.source_name} sha256:{release.source_sha256[:12]}"
            )
