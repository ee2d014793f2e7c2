"""CPT and HCPCS Level II modifiers: the known set and the ways coders write them.

A modifier is taken in these places:

- glued to a code: "99213-25", "27447 RT", "97112 (GP)", "20610: RT/LT";
- named as one: "modifier 59", "mods 25/59", "the 25 modifier", "Modifiers used: 25, 59";
- after a verb that takes one: "append 59", "with GA or GZ", "remove the 51";
- with its dash but apart from a code ("-59 to 20552"), or after a side ("right, RT");
- in a modifier column of a table;
- asked about, ruled out, explained or defined: "Is that a 58?", "so no 50, right?",
  "the 58 is for staged procedures", "25 - separate e/m";
- offered beside one already taken ("91 or 59"), or named beside a member of its family
  (26 and TC, CQ and CO) or near words that explain it (AS beside "assist");
- alone, if it means nothing else in coder mail (XE, XP, XS, XU, KX, GY, JW and more).

Any other two-letter word is read as a state, an abbreviation or a remittance group code,
and is not taken.
"""

from __future__ import annotations

import re

from consultant.extraction.traps import keyword_pattern

_NUMERIC = (
    "22 23 24 25 26 27 32 33 47 50 51 52 53 54 55 56 57 58 59 62 63 66 73 74 76 77 78 79 "
    "80 81 82 90 91 92 93 95 96 97 99"
)
_CATEGORY_II = "1P 2P 3P 8P"
_PHYSICAL_STATUS = "P1 P2 P3 P4 P5 P6"
# CPT and HCPCS Level II modifiers in common use. NOTE: this is not the complete CMS list.
# A two-digit modifier missing here is still taken after "modifier"; a missing one with
# a letter is not taken anywhere.
_ALPHA = (
    "AA AB AD AE AF AG AH AI AJ AK AM AO AP AQ AR AS AT AU AV AW AX AY AZ BA BL BO BP BR BU "
    "CA CB CC CD CE CF CG CH CI CJ CK CL CM CN CO CQ CR CS CT DA E1 E2 E3 E4 EA EB EC ED EE "
    "EJ EM EP ER ET EX EY F1 F2 F3 F4 F5 F6 F7 F8 F9 FA FB FC FP FQ FR FS FT FX FY G0 G1 G2 "
    "G3 G4 G5 G6 G7 G8 G9 GA GB GC GE GF GG GH GJ GK GL GM GN GO GP GQ GR GS GT GU GV GW GX "
    "GY GZ HA HB HC HD HE HF HG HH HI HJ HK HL HM HN HO HP HQ HR HS HT HU HV HW HX HY HZ J1 "
    "J2 J3 J4 JA JB JC JD JE JG JW JZ K0 K1 K2 K3 K4 KA KB KC KD KE KF KH KI KJ KK KL KM KN "
    "KO KP KQ KR KS KT KU KV KW KX KY KZ L1 LC LD LL LM LR LS LT LU M2 MA MB MC MD ME MF MG MH "
    "MS N1 N2 N3 NB NR NU PA PB PC PD PI PL PM PN PO PS PT Q0 Q1 Q2 Q3 Q4 Q5 Q6 Q7 Q8 Q9 QA "
    "QB QC QD QE QF QG QH QJ QK QL QM QN QP QQ QR QS QT QW QX QY QZ RA RB RC RD RE RI RR RT "
    "SA SB SC SD SE SF SG SH SJ SK SL SM SN SQ SS ST SU SV SW SY T1 T2 T3 T4 T5 T6 T7 T8 T9 "
    "TA TB TC TD TE TF TG TH TJ TK TL TM TN TP TQ TR TS TT TU TV TW U1 U2 U3 U4 U5 U6 U7 U8 "
    "U9 UA UB UC UD UE UF UG UH UJ UK UN UP UQ UR US V1 V2 V3 V4 V5 V6 V7 V8 V9 VM VP X1 X2 "
    "X3 X4 X5 XE XP XS XU"
)
KNOWN = frozenset(f"{_NUMERIC} {_CATEGORY_II} {_PHYSICAL_STATUS} {_ALPHA}".split())

# Modifiers that mean nothing else in coder mail and are taken on their own.
DISTINCTIVE = frozenset(
    {"XE", "XP", "XS", "XU", "KX", "GX", "GY", "GZ", "JW", "JZ", "CQ", "QW", "QK", "QX", "QY", "QZ"}
    | {"NU", "KH", "KI", "KJ"}
)

# Ambulance origin and destination modifiers: any two of these letters ("RH", "SH").
# Many read as words or states, so they are taken only after "modifier" or glued by a dash.
_PLACES = "DEGHIJNPRSX"
ORIGIN_DESTINATION = frozenset(
    origin + destination for origin in _PLACES for destination in _PLACES
)

# Two-letter modifiers that are also state abbreviations, words or common abbreviations:
# glued to a code with a space they count only if no lower-case word follows.
AMBIGUOUS = frozenset(
    {"AK", "AR", "AZ", "CA", "CO", "CT", "GA", "KS", "MA", "MD", "ME", "MS", "PA", "PD", "PI", "RA"}
    | {"PO", "PT", "SC", "SD", "TN", "TX", "AS", "AT", "AM", "PM", "ST", "TA", "TC", "HA", "HE"}
    | {"HI", "ED", "ER", "ET", "EX", "US", "GT", "BP", "UA", "HR", "AB"}
    # Computed radiography ("the CR units"), also a remittance group code.
    | {"CR"}
    # Heart failure and normal saline in clinical text.
    | {"HF", "NS"}
    # A complication or comorbidity of a DRG in inpatient mail: "do not drop the CC".
    | {"CC"}
    # A social worker's visit in hospice and home health mail ("SW visits", "G0155 (SW)"),
    # the UB-04 claim form ("it's a UB"), a history ("HAS A HX OF AMBLYOPIA"),
    # hemodialysis ("got HD twice"), a transvaginal scan ("a TV cervical length") and
    # straightforward decision making in an E/M audit ("MDM  SF").
    | {"SW", "UB", "HX", "HD", "TV", "SF"}
    # A registered dietitian: "E43 documented w/ RD criteria".
    | {"RD"}
)

_MODIFIER = r"(?:\d{2}|[A-Z][A-Z0-9]|\d[A-Z])"
_SEPARATOR = r"\s*(?:,|/|&|\+|\band\b|\bor\b|\bplus\b|\bvs\.?|\bversus\b|-)\s*-?"
_LIST = rf"(?P<list>{_MODIFIER}(?:{_SEPARATOR}{_MODIFIER})*)(?![\w]|[.:]\d)"

# "mod", "modifier", "modifiers", found in lower-cased text.
MODIFIER_WORD = re.compile(r"mod(?:ifier)?s?\b")
# "The modifiers would be HE and HB?", "the modifier is 59".
_COPULA = (
    r"(?:is|are|was|were|(?:would|should|will|could|must|might)[ \t]+be)"
    r"(?:[ \t]+(?:just|only|both))?"
)
# The list after the word: "modifier 25", "mods 25/59", "modifier -59 and XU", "mod: GA",
# "branch modifier (LD, LC, RC)". It crosses one line break at most, so a subject's
# "modifier" takes nothing from the body.
NAMED_AFTER = re.compile(
    rf"\.?[ \t]*(?:\r?\n[ \t]*)?(?:(?:or|and|vs\.?|versus|{_COPULA})\s+)?(?:[:=#]\s*)?\(?-?{_LIST}"
)
# A choice that ends the sentence: "Which modifier for a repeat procedure, 77 or 76?"
NAMED_CHOICE = re.compile(
    rf"(?:[ \t]+[A-Za-z/]+){{1,8}}[ \t]*,[ \t]*-?{_LIST}(?=[ \t]*(?:[?.!]|$))", re.MULTILINE
)
# A side named in words (found in lower-cased text), then its modifier: "right, RT".
SIDE_WORD = re.compile(r"(?:right|left)\b")
SIDE_MODIFIER = re.compile(r"[ \t]*[,:(-]?[ \t]*(?P<list>RT|LT)(?![\w])")
# The meaning of a modifier in words, then the modifier in brackets, in lower-cased
# text: "bilateral (50)", "distinct procedural service (59)". Each word takes only the
# modifiers that mean it.
# ``BRACKETED_PAIR`` finds the bracket, which starts with a literal the engine skips to,
# and ``MEANING_BEFORE`` the words in the text that ends there.
BRACKETED_PAIR = re.compile(r"\([ \t]*-?(?P<list>[0-9a-z]{2})[ \t]*\)")
_MEANING_WORDS = (
    r"bilateral|distinct|separate|reduced|discontinued|professional|technical|assistant"
    r"|assist|repeat|staged|unrelated|multiple|co-?surgery|co-?surgeons?|team"
)
MEANING_BEFORE = re.compile(rf"(?<![\w-])(?P<word>{_MEANING_WORDS})(?:[ \t]+[a-z]+){{0,2}}[ \t]*\Z")
# The modifier, then its meaning alone in brackets, in lower-cased text: "58 (staged)",
# "79 (unrelated procedure)", but not "Kenalog 50 (bilateral knees)".
MEANING_AFTER = re.compile(
    rf"(?<![\w.$/-])(?P<list>[0-9a-z]{{2}})[ \t]*\([ \t]*(?P<word>{_MEANING_WORDS})"
    r"(?:[ \t]+(?:procedures?|procedural service|services?|e/m|visits?))?[ \t]*\)"
)
MEANINGS = {
    "bilateral": frozenset({"50"}),
    "distinct": frozenset({"59", "XE", "XP", "XS", "XU"}),
    "separate": frozenset({"25", "59", "XE", "XP", "XS", "XU"}),
    "reduced": frozenset({"52"}),
    "discontinued": frozenset({"53", "73", "74"}),
    "professional": frozenset({"26"}),
    "technical": frozenset({"TC"}),
    "assistant": frozenset({"80", "81", "82", "AS"}),
    "assist": frozenset({"80", "81", "82", "AS"}),
    "repeat": frozenset({"76", "77", "91"}),
    "staged": frozenset({"58"}),
    "unrelated": frozenset({"24", "79"}),
    "multiple": frozenset({"51"}),
    "co-surgery": frozenset({"62"}),
    "cosurgery": frozenset({"62"}),
    "co-surgeon": frozenset({"62"}),
    "cosurgeon": frozenset({"62"}),
    "co-surgeons": frozenset({"62"}),
    "cosurgeons": frozenset({"62"}),
    "team": frozenset({"66"}),
}
# Two modifiers of one family offered as a choice or joined by a slash, at least one of
# them letters: "AS or 80", "26 vs TC", "RT/LT". Two numbers ("80 or 81") may be anything.
FAMILY_CHOICE = re.compile(
    rf"(?<![\w./-])(?P<first>{_MODIFIER})(?:[ \t]*/[ \t]*|[ \t]+(?:or|vs\.?|versus)[ \t]+)"
    rf"(?P<second>{_MODIFIER})(?![\w]|[.:,]\d)"
)
# A label that ends in a colon: "Modifiers used this month: 25, 59, XU".
NAMED_LABEL = re.compile(rf"(?:[ \t]+[A-Za-z]+){{1,4}}[ \t]*:[ \t]*-?{_LIST}")
# The list before the word: "25 modifier", "the -59 modifier", "25 and 59 modifiers".
NAMED_BEFORE = re.compile(rf"(?<![\w-])-?(?P<list>{_MODIFIER}(?:{_SEPARATOR}{_MODIFIER})*)\s+\Z")
# The first letter is consumed before the look-behind so the engine can skip ahead to it.
DISTINCTIVE_ALONE = re.compile(
    r"[XKGJCQN](?<![\w-][XKGJCQN])(?:(?<=X)(?:\{EPSU\}|[EPSU])|(?<=K)[HIJX]|(?<=G)[XYZ]"
    r"|(?<=J)[WZ]|(?<=C)Q|(?<=Q)[KWXYZ]|(?<=N)U)(?![\w{])"
)
# "(GP)", "(59, XU)", "(GP on all)", "[RT]" right after a code and its units.
BRACKETED = re.compile(
    rf"[ \t]*[(\[](?P<list>{_MODIFIER}(?:{_SEPARATOR}{_MODIFIER})*)"
    r"(?:\s+on\s+(?:all|each|both))?[ \t]*\??[)\]]"
)
# Verbs that take a modifier ("with 25", "append 59", "add KX", "use GA or GZ"), found in
# lower-cased text, and the list after them in the original text.
_VERBS = (
    "with|w/|append|appended|appending|add|added|adding|use|uses|used|using|attach|attached|need|"
    "needs|needed|require|requires|required|apply|put|puts|putting|report|reported|carry|"
    "carries|without|"
    "w/o|submit|submitted|resubmit|bill|billed|plus|remove|removed|drop|dropped|delete|"
    "deleted|replaced|physical status|get|gets|got|getting|want|wants|wanted|take|takes|took|"
    "switch to|switched to|change to|changed to|left off|leave off|leaving off|forgot|"
    "missing|missed|send|sent|sending|has a|have a|had a|has the|have the|had the|"
    "in addition to|along with|together with"
)
# The verb must be followed by a two-character word, which most verbs in prose are not.
# Search it with ``traps.find_keywords``.
VERB = re.compile(
    keyword_pattern([(_VERBS, r"\s+(?=(?:(?:an?|the|both|by)\s+)?-?[a-z0-9]{2}(?![a-z0-9]))")])
)
VERB_LIST = re.compile(rf"(?:(?:[Aa]n?|[Tt]he|[Bb]oth|by)\s+)?-?{_LIST}")
# A distinctive modifier in lower case after a verb, in lower-cased text: "need xu".
VERB_LOWER = re.compile(
    rf"(?:(?:an?|the|both)\s+)?-?(?P<list>{'|'.join(sorted(DISTINCTIVE)).lower()})(?![\w])"
)
# Two modifiers offered as alternatives: "91 or 59", "GA or KX", "33 instead of PT".
# When one of them is taken, the other is a modifier too, even one that reads as a word.
# Each side may be a pair written with a slash: "50 or RT/LT".
_CHOICE = rf"{_MODIFIER}(?:[ \t]*/[ \t]*{_MODIFIER})*"
_CONNECTOR = (
    r"[ \t]*,?[ \t]*(?i:or|and|&|vs\.?|versus|instead[ \t]+of|rather[ \t]+than|not)[ \t]+"
    r"(?i:the[ \t]+)?[\"']?-?"
)
# The choice after a taken modifier, matched where the modifier ends.
CHOICE_AFTER = re.compile(
    rf"[\"']?(?:[ \t]*/[ \t]*{_MODIFIER})*{_CONNECTOR}(?P<list>{_CHOICE})(?![\w/]|[.:]\d)"
)
# The choice before a taken modifier, searched up to where the modifier starts. It starts
# with a character class, so the engine skips to digits and capital letters. The caller
# checks that no word character or dot comes before it.
CHOICE_BEFORE = re.compile(
    rf"(?P<list>[0-9A-Z]{{2}}(?:[ \t]*/[ \t]*[0-9A-Z]{{2}})*){_CONNECTOR}"
    rf"(?:{_MODIFIER}[ \t]*/[ \t]*)*\Z"
)
# "..., or LT only?", "or QE because ...", "vs HN", "and not 76": a modifier offered last
# in a sentence.
# The pattern starts with a letter of "or" or "vs", so the engine skips quickly to where
# it can match.
LAST_CHOICE = re.compile(
    r"[oOvVnN](?<![\w][oOvVnN])(?:(?<=[oO])[rR]|(?<=[vV])(?:[sS]\.?|ersus|ERSUS)|(?<=[nN])[oO][tT])"
    # A line may be wrapped after the word: "Is 78 right, or\n76?".
    rf"(?:[ \t]+\n?|\n)[ \t]*(?:(?:just|only|maybe)[ \t]+)?[\"']?-?(?P<list>{_MODIFIER})"
    r"(?![\w/]|[.:]\d)"
)
# The first of two modifiers offered as a choice, searched up to the "or" before the
# second: "QM or QN?".
FIRST_CHOICE = re.compile(rf"(?<![\w./])-?(?P<list>{_MODIFIER})[ \t]*,?[ \t]*\Z")
# The end of a clause, which a two-digit modifier offered last must come before.
CLAUSE_END = re.compile(
    r"[ \t]*(?i:only|alone|instead)?[ \t]*(?:[?.!,;]|\s*\Z)|[ \t]+(?i:because|since)\b"
)
# A modifier after "be" at the end of a clause: "should it be 3P?", "SHOULD BE 80 OR 82".
# Searched in lower-cased text, so that the pattern starts with the letters of its first
# word and the engine skips quickly to them. The caller reads the modifier from the text
# as written, checks its case with ``MODIFIER_SHAPE``, and checks that no word character
# comes before the match.
BE_MODIFIER = re.compile(
    r"be(?:en)?[ \t]+-?(?P<list>[0-9a-z]{2})"
    r"(?=[ \t]*(?:only|alone|instead|too)?[ \t]*[?.!,;]"
    r"|[ \t]+(?:or|vs|if|when|since|because|instead|and)\b)"
)
# A modifier a line goes out with, at the end of a clause: "does laterality go as LT?",
# "billed as 59." Searched in lower-cased text, like ``BE_MODIFIER``.
AS_MODIFIER = re.compile(
    r"(?:go(?:es)?|went|bill(?:ed)?|code[ds]?|report(?:ed)?|submit(?:ted)?)[ \t]+as[ \t]+-?"
    r"(?P<list>[0-9a-z]{2})(?=[ \t]*(?:only|alone|instead|too)?[ \t]*[?.!,;]"
    r"|[ \t]+(?:or|vs|if|when|since|because|instead|and)\b)"
)
# A modifier that is the subject of a verb only a modifier takes: "59 won't fix it",
# "does 25 go on the 99396", "XU applies".
_AUXILIARY = (
    r"(?:won't|will[ \t]+not|wouldn't|would[ \t]+not|doesn't|does[ \t]+not|can't|cannot|"
    r"shouldn't|should[ \t]+not|should|would|will|does|do|can|must|may)[ \t]+(?:not[ \t]+)?"
    r"(?:be[ \t]+)?"
)
_ADVERB = r"(?:ever|still|also|always|never|only|then|just|even|really)[ \t]+"
PREDICATE = re.compile(
    # The two characters come first, so the engine skips to digits and capital letters.
    # The caller then checks the pair against ``KNOWN``.
    r"(?P<list>[0-9A-Z][0-9A-Z])(?<![\w.$/-][0-9A-Z]{2})"
    rf"[ \t]+(?:{_ADVERB})?(?:{_AUXILIARY})?"
    r"(?:fix(?:es)?|help(?:s)?|override(?:s)?|replace(?:s)?|bypass(?:es)?|unbundle(?:s)?|"
    r"apply|applies|"
    # "ED applied a splint": a pair that applies something is the one who did it.
    r"applied(?![ \t]+(?:a|an|the|his|her|their)\b)|appended"
    r"|go(?:es)?[ \t]+(?:on|with|to|under)|belongs?[ \t]+(?:on|to|with)|fits?"
    r"|(?:is|are|was|isn't|wasn't)[ \t]+(?:not[ \t]+)?(?:needed|required|necessary|allowed))\b"
)

# A physical status modifier after "ASA": "ASA P2", "ASA class P3".
ASA_STATUS = re.compile(r"ASA[ \t]+(?:[Cc]lass[ \t]+)?(?P<list>P[1-6])(?![\w])")
# Physical status modifiers named together, with no "ASA": "extra for P3/P4 or is that".
STATUS_PAIR = re.compile(
    r"(?<![\w/-])P[1-6](?:[ \t]*(?:/|,|or|and|vs\.?)[ \t]*P[1-6])+(?![\w/-])"
)
# A modifier put on something: "25 on the 99395?", "SL on the vaccine lines", "had KS on
# them". The pair comes first, so the engine skips to digits and capital letters.
ON_TARGET = re.compile(
    r"(?P<list>[0-9A-Z][0-9A-Z])(?<![\w.$/-][0-9A-Z]{2})[ \t]+(?i:on)[ \t]+"
    r"(?:(?i:the|all|each|every|both)[ \t]+(?i:(?:first|second|third|last|other|next)[ \t]+)?"
    r"(?P<target>[\w/&]+)|(?P<pronoun>them|those|these|everything)\b"
    r"|(?P<code>\d{4}[0-9FTU]|[A-Z]\d{4})(?!\w))"
)
# A modifier listed before one put on a code: "GN + 59 on the 92526?".
LIST_BEFORE = re.compile(rf"(?<![\w-])(?P<list>{_MODIFIER})[ \t]*(?:\+|&|,|and)[ \t]*\Z")
# The codes a modifier is put on, right after it: " on 82607 and 84443", " on the 01230".
ON_CODES = re.compile(
    r"[ \t]+(?i:on)[ \t]+(?i:the[ \t]+|both[ \t]+)?(?:\d{4}[0-9FTU]|[A-Z]\d{4})(?!\w)"
    r"(?:[ \t]*(?:,|&|and|,[ \t]*and)[ \t]*(?i:the[ \t]+)?(?:\d{4}[0-9FTU]|[A-Z]\d{4})(?!\w))*"
)
# The targets a modifier may be put on: a code or a word for a claim line. With others
# ("HD on the 14th") the pair is no modifier.
ON_TARGET_WORD = re.compile(
    r"\d{4}[0-9FTU]|[A-Z]\d{4}|(?i:lines?|claims?|codes?|visits?|procedures?|e/m|e&m|"
    r"vaccines?|injections?|services?|drugs?|diagnostic|first|second|third|last|other)$"
)
# A modifier asked about in a question: "Is 51 needed on 14060?" Searched in lower-cased
# text, like ``BE_MODIFIER``.
QUESTION_PREDICATE = re.compile(
    r"(?:is|are|was|would|does)[ \t]+(?:the[ \t]+|a[ \t]+)?-?"
    rf"(?P<list>[0-9a-z]{{2}})[ \t]+(?:{_ADVERB})?"
    r"(?:needed|required|necessary|allowed|appropriate|correct|right|valid|payable|fine|ok|okay)"
    r"\b"
)
# A modifier asked about after "is that" or "is it": "Is that a 58?", "OR IS IT 25 AND 79?".
# Searched in lower-cased text, like ``BE_MODIFIER``, and only where the text has one of
# the word pairs it starts with.
IS_IT_MODIFIER = re.compile(
    r"(?:is|was|would) (?:that|it|this)[ \t]+(?:be[ \t]+)?(?:an?[ \t]+|the[ \t]+)?-?"
    r"(?P<list>[0-9a-z]{2})(?=[ \t]*(?:too|instead|then)?[ \t]*\?|[ \t]+(?:or|and)\b)"
)
# A modifier asked about as the answer: "Is 24 the fix here?", "is XU the right one".
# Searched in lower-cased text, like ``BE_MODIFIER``.
IS_THE_ANSWER = re.compile(
    r"is[ \t]+-?(?P<list>[0-9a-z]{2})[ \t]+the[ \t]+"
    r"(?:(?:right|correct|proper|better|best)[ \t]+)?(?:fix|answer|solution|one|modifier|choice)\b"
)
# A modifier asked about last in a question: "Should the second one have 91?", "the
# block should have LT, right?" Searched in lower-cased text, like ``BE_MODIFIER``.
HAVE_MODIFIER = re.compile(
    r"(?:have|has|had)[ \t]+(?:an?[ \t]+|the[ \t]+)?-?(?P<list>[0-9a-z]{2})"
    r"(?=[ \t]*(?:too|also|as[ \t]+well|,[ \t]*right)?[ \t]*\?)"
)
# A modifier as the name of a kind of case: "is this a 91 situation?", "the 59 scenario",
# "is it a 59 issue?".
# Searched in lower-cased text.
SITUATION = re.compile(
    r"(?:an?|the|this)[ \t]+-?(?P<list>[0-9a-z]{2})[ \t]+(?:modifier[ \t]+)?"
    r"(?:situation|scenario|issue|problem)s?\b"
)
# A modifier seen in use: "I have seen 82 used on 33533", "never saw GY billed there".
SEEN_IN_USE = re.compile(
    r"(?:seen|saw|see)[ \t]+(?:an?[ \t]+)?-?(?P<list>[0-9a-z]{2})[ \t]+"
    r"(?:used|billed|appended|applied|reported)\b"
)
# A two-digit modifier ruled out: "so no 50, right?", "global; no 26.", "bills nothing,
# not 53." Searched in lower-cased text, like ``BE_MODIFIER``.
NO_MODIFIER = re.compile(
    r"(?:no|not)[ \t]+-?(?P<list>\d{2})(?=[ \t]*(?:[,.?!;]|$|(?:modifiers?|needed|required)\b))",
    re.M,
)
# Two ruled out together: "so no 58 or 79 needed right?".
NO_MODIFIER_PAIR = re.compile(
    r"(?:no|not)[ \t]+-?(?P<first>\d{2})[ \t]+(?:or|and|nor)[ \t]+-?(?P<second>\d{2})"
    r"(?=[ \t]*(?:[,.?!;]|$|(?:modifiers?|needed|required)\b))",
    re.M,
)
# A modifier explained: "the 58 is for planned procedures", "93 is the general audio-only
# modifier". ``EXPLAINED`` finds the words after the modifier in lower-cased text, and
# ``EXPLAINED_BEFORE`` the modifier right before them. Searching for the words first lets
# the engine skip to their first letters.
EXPLAINED = re.compile(
    r"(?:is|was|are)[ \t]+(?:(?:only[ \t]+)?for[ \t]"
    r"|(?:the|a|an)[ \t]+(?:[\w/-]+[ \t]+){0,3}modifier\b)"
)
EXPLAINED_BEFORE = re.compile(r"-?(?P<list>[0-9a-z]{2})[ \t]+\Z")
# Modifiers that coders name together. When one of a family is taken, a member in
# capital letters written alone elsewhere in the text is taken too ("71046-26 ... the
# hospital bills TC", "99349-GW? Or GV"). Only letter members are taken that way.
FAMILIES = (
    frozenset({"26", "TC"}),
    frozenset({"RT", "LT", "50"}),
    frozenset({"GV", "GW"}),
    frozenset({"GA", "GX", "GY", "GZ"}),
    frozenset({"FX", "FY"}),
    frozenset({"80", "81", "82", "AS"}),
    # The provider type and education level modifiers that Medicaid plans ask for.
    frozenset({"AH", "AJ", "HN", "HO", "HP"}),
    # The 340B drug modifiers: JG, replaced by TB.
    frozenset({"JG", "TB"}),
    # Services given in part by a therapy assistant: CQ for a PTA, CO for an OTA.
    frozenset({"CQ", "CO"}),
    # A screening turned diagnostic: 33 for commercial plans, PT for Medicare.
    frozenset({"33", "PT"}),
    # Home oxygen flow rates: QE under 1 liter a minute, QF or QG over 4, QH with a
    # conserving device.
    frozenset({"QE", "QF", "QG", "QH"}),
)
# Modifiers that a word elsewhere in the text explains, in lower-cased text. Written
# alone in capital letters, they are taken where that word is written: "GA with an ABN",
# "AT if it's active care" in a chiropractic question, "FX is for film x-rays".
_ABN = re.compile(r"\babns?\b|advance beneficiary notice|waiver of liability")
_RADIOGRAPHY = re.compile(r"x-?rays?\b|\bfilms?\b|radiograph")
_HOSPITAL_CAMPUS = re.compile(r"\bpos\s*(?:19|22)\b|(?:on|off)[- ]campus|provider[- ]based")
CONTEXT_CUES = {
    # GT is also a gastrostomy tube; as a modifier it marks telehealth.
    "GT": re.compile(r"tele|video|audio|virtual|\bpos\s*(?:02|10)\b"),
    "PO": _HOSPITAL_CAMPUS,
    "PN": _HOSPITAL_CAMPUS,
    "GA": _ABN,
    "GX": _ABN,
    "GZ": _ABN,
    "AT": re.compile(r"\b9894[0-3]\b|chiropract"),
    "FX": _RADIOGRAPHY,
    "FY": _RADIOGRAPHY,
    # AS is also a word; as a modifier it marks a physician assistant or nurse practitioner
    # who assisted at surgery.
    "AS": re.compile(r"assist"),
    "AD": re.compile(r"medical supervision|supervis\w* \d+ or more"),
    "AA": re.compile(r"anesthesiologist|anesthesia"),
    "QS": re.compile(r"anesthesia|sedation|\bmac\b|crna"),
}
# Characters that may not follow a family member taken alone ("FY 2026" is a fiscal year,
# and "severe AS (I35.0)" names aortic stenosis with its diagnosis code).
NOT_ALONE_AFTER = re.compile(r"[\w/]|[.:]\d|[ \t]*\d|[ \t]*\([ \t]*[A-Za-z]\d\d")
# Finger (FA, F1-F9), toe (TA, T1-T9) and eyelid (E1-E4) modifiers, taken when a word
# for that part of the body is written near them: "right ring F8".
ANATOMY_MODIFIER = re.compile(
    r"(?P<list>[FTEQ](?<![\w-][FTEQ])(?:(?<=[FT])[0-9A]|(?<=E)[1-4]|(?<=Q)[7-9]))"
    r"(?![\w]|[.:]\d)"
)
# Q7 to Q9 are the class findings of routine foot care: "Q9 documented (2 class C)".
ANATOMY_WORDS = {
    "F": re.compile(r"\b(?:thumb|index|middle|ring|little|fingers?|digits?)\b"),
    "T": re.compile(r"\b(?:toes?|hallux)\b"),
    "E": re.compile(r"\b(?:lids?|eyelids?)\b"),
    "Q": re.compile(r"\bclass\b"),
}
# How far from the modifier the word is looked for. Class findings are often listed
# before the modifier they add up to: "Class findings: absent DP and PT pulses, so Q8."
ANATOMY_REACH = {"F": 30, "T": 30, "E": 30, "Q": 80}
# A modifier written with its dash but apart from any code: "and -59 to 20552", "-GY".
DASHED = re.compile(rf"-(?<=[\s(\"']-)(?P<list>{_MODIFIER})(?![\w]|[.:]\d)")
# A modifier asked about as a question of its own, after another question: "do we need
# the KX? CG?", "Any modifier needed? U1?"
BARE_QUESTION = re.compile(r"(?<=\?)[ \t]+(?P<list>[A-Z][A-Z0-9])[ \t]*\?")
# The end of the question before it: a modifier, or a word for modifiers.
BARE_QUESTION_BEFORE = re.compile(r"(?:(?<![\w-])[A-Z][A-Z0-9]|modifiers?(?:[ \t]+[a-z]+)?)\?\Z")
# A modifier asked about alone, or the case it is kept for: "Modifiers on the L code RT
# only?", "JB only if subq, right".
ONLY_QUESTION = re.compile(
    r"(?<![\w-])(?P<list>[A-Z][A-Z0-9])[ \t]+only(?:[ \t]*\?|[ \t]+(?:if|when)\b)"
)
# Modifiers joined by dashes with no code before them: "then RR-KI-KX for months 2 and 3".
# The match starts at the first dash, which the search finds fast; the first modifier is
# the two characters before it.
DASHED_CHAIN = re.compile(r"-(?<=(?<![\w-])[0-9A-Z]{2}-)[0-9A-Z]{2}(?:-[0-9A-Z]{2})*(?![\w-])")
# Both sides named together: "(one RT, one LT)", "LT + RT on separate lines". The
# caller keeps the pairs whose two sides differ.
SIDE_PAIR = re.compile(
    r"(?<![\w-])(?:(?i:one)[ \t]+)?(?P<first>RT|LT)[ \t]*(?:\+|&|,|and)[ \t]*"
    r"(?:(?i:one)[ \t]+)?(?P<second>RT|LT)(?![\w-])"
)
# "GP on all", "59 on each": a modifier for every code of the sentence (lower-cased text).
ON_ALL = re.compile(r"on (?:all|each|both|every)\b")
# Claim lines after ``ON_ALL``: "GA on both lines" names a modifier even where the pair
# is also a state.
LINES_AFTER = re.compile(r"[ \t]+(?:the[ \t]+)?(?:[a-z]+[ \t]+)?(?:lines|claims|codes|services)\b")
# A second modifier for a second target after a verb's modifier, in a question: "Does
# the E/M need 24 and the injection 79?", "Need 25 on the visit and 59 on anything?".
PARALLEL_AFTER = re.compile(
    r"(?:[ \t]+on[ \t]+(?:the[ \t]+)?[\w/&]+)?[ \t]+and[ \t]+(?:the[ \t]+[\w/&-]+[ \t]+)?-?"
    rf"(?P<list>{_MODIFIER})(?![\w]|[.:,]\d)(?=[ \t]*(?:\?|on\b))"
)
# A modifier for each of the codes before it, at the end of a clause: "E1390 and E0431,
# both RR." In "both HF and CKD" the pair is a word.
BOTH_THEN = re.compile(
    rf",[ \t]*(?i:both)[ \t]+(?:(?P<verb>(?i:with|get|need|take|have))[ \t]+)?-?{_LIST}"
    r"(?=[ \t]*(?:[.?!;(]|$))",
    re.MULTILINE,
)
# An ambulance origin and destination pair after its label: "Origin/destination HH?".
ORIGIN_LABEL = re.compile(
    r"(?i:origin(?:[ \t]*(?:/|and|&)[ \t]*destination)?|o/d)(?:[ \t]+(?i:modifiers?|codes?))?"
    r"[ \t]*[:=-]?[ \t]*(?P<list>[DEGHIJNPRSX]{2})(?![\w])"
)
# "All four lines carry GP": a modifier for every code listed before the sentence.
# Searched in lower-cased text, like ``BE_MODIFIER``.
# The pattern starts with the words themselves, so the search skips to their first letters.
ALL_LINES = re.compile(
    r"(?:all|every|each|both)(?:"
    r"(?:[ \t]+[a-z]+)?[ \t]+(?:lines?|codes?|services?)"
    r"[ \t]+(?:carry|carries|get|gets|need|needs|take|takes|have|has|go out with|with)[ \t]+-?"
    # "All with GP", "..., all with GP and KX", "Both with GN?": the codes just listed.
    r"|(?<!\w[ \t]all)(?<!\w[ \t]each)(?<!\w[ \t]both)(?<=all|ach|oth)"
    r"(?:[ \t]+of[ \t]+them)?[ \t]+with[ \t]+-?)"
)
# The list after ``ALL_LINES``, matched in the text as written.
LIST_AT = re.compile(_LIST)
_LIST_ITEM = re.compile(_MODIFIER)
MODIFIER_SHAPE = _LIST_ITEM

# After a code: "-25", "-RT-59", "-RT/LT", " 25", " RT", or the next cell of a table row.
GLUED = re.compile(
    r"(?P<sep>[ \t]?[-–—/:][ \t]?|\+|[ ]*[|\t][ ]*|[ \t]"
    # A modifier column of space-aligned claim lines: "Q4102      JC KX    900.00".
    r"|[ ]{2,16}(?=[0-9A-Z]{2}(?:[ ][0-9A-Z]{2})*[ ]{2})"
    # A comma with no space, in a list after a glued modifier: "99214-25,59".
    r"|,(?=[0-9A-Z]{2}(?![\w])))"
    r"(?P<modifier>[0-9A-Za-z]{2})(?![\w]|[.:]\d)"
)
# The end of a table cell, after any more modifiers in it: "| GP |", "\tGP,59\t".
CELL_END = re.compile(r"(?:(?:,|[ ])[0-9A-Z]{2})*[ ]*(?:[|\t]|\r?\n|\Z)")
# Words after a two-digit number that make it a quantity, not a modifier.
QUANTITY_WORD = re.compile(
    # "missed 23 school days": a word may name the kind of days counted.
    r"\s*(?:(?:(?:school|work|business|calendar|clinic|office|therapy|sick)[ \t]+)?"
    r"(?i:min|mins|minutes|units?|mg|mcg|ml|y/?o|yo|years?|yrs?|wks?|weeks?|days?|hours?|"
    r"hrs?|times|visits|sessions|patients|pts|sq|cm|mm|inch|inches|cc|%|percent|other|more|"
    r"additional)\b|of[ \t]+\d)"
    # "needs 53+": a number and more, but not "99214-25 + 17110".
    r"|\+(?=[ \t]*(?:[,.;:?!)]|(?i:min|mins|minutes)\b))"
)
# A lower-case word after a modifier that is also a word; "x2" after it counts units.
LOWER_WORD_NEXT = re.compile(r"\s+(?!x\d)[a-z]")
# "put GA on it", "append PA to the 28285": a modifier put on something.
ON_SOMETHING = re.compile(
    r"[ \t]+(?:on|to)[ \t]+(?:it|them|the|this|that|both|all|each|every|\d)"
)


# Physical status modifiers, taken alone only in anesthesia mail: "Plus QS on both, and P2".
PHYSICAL_STATUS_ALONE = re.compile(r"P(?<![\w-]P)[1-6](?![\w]|[.:]\d)")
ANESTHESIA_WORDS = re.compile(r"anesth|\bcrna\b|\basa\b")
# Therapy plan of care modifiers, taken alone only in therapy mail: "All lines GP.", "GN."
THERAPY_ALONE = re.compile(r"G(?<![\w-]G)[PON](?![\w]|[.:]\d)")
THERAPY_WORDS = re.compile(r"therap|\bslp\b|\bpta\b|\bcota\b|\bspeech\b")
# A run of eyelid or physical status modifiers: "E1-E4", "P1-P6".
MODIFIER_RUN = re.compile(
    r"(?P<letter>[EP])(?<![\w-][EP])(?P<first>[1-6])[ \t]*(?:-|–|to|through)[ \t]*"
    r"(?P=letter)(?P<last>[1-6])(?![\w]|[.:]\d)"
)
# A modifier defined in a list or in a note: "25 - separate e/m", "rt/lt - sides",
# "24 = unrelated e/m". Definitions at the start of a line count when the text has two or
# more of them, as a cheat sheet does.
DEFINED_LINE = re.compile(
    r"^[ \t]*(?:[-*•][ \t]+)?(?P<list>[0-9A-Za-z]{2}(?:/[0-9A-Za-z]{2})*)"
    r"[ \t]*(?:-|–|=)[ \t]+[A-Za-z]",
    re.MULTILINE,
)
DEFINED_BULLET = re.compile(
    r"^[ \t]*[-*•][ \t]+(?P<list>[0-9A-Za-z]{2}(?:/[0-9A-Za-z]{2})*)[ \t]*:[ \t]+[A-Za-z]",
    re.MULTILINE,
)
# Modifiers asked about together: "79 and LT both?". The list is searched right before
# each "both" of the lower-cased text.
BOTH_LIST = re.compile(rf"(?<![\w-]){_LIST}[ \t]+\Z")
# A modifier used as a verb: "i 59'd the 97140". The modifier is searched right before
# each "'d".
AS_VERB = re.compile(r"(?<![\w-])(?P<list>\d{2}|[A-Z][A-Z0-9])\Z")
# Two two-digit modifiers offered at the end of a question: "Re-excision - 58 or 78?".
DIGIT_CHOICE = re.compile(
    r"(?P<first>\d{2})(?<![\w.$/-]\d\d)[ \t]+(?:or|vs\.?)[ \t]+(?P<second>\d{2})[ \t]*\?"
)
# A modifier given with its reason: "it's 78 because she went back to the OR", "nobody
# thinks 79 since". Searched in lower-cased text, like ``BE_MODIFIER``.
IT_IS_MODIFIER = re.compile(
    r"(?:it(?:'s|’s| is)|thinks?|says?)[ \t]+(?:an?[ \t]+)?-?(?P<list>[0-9a-z]{2})"
    r"(?=[ \t]+(?:because|since)\b|[ \t]*(?:then|too|instead)?[ \t]*\?)"
)
# The modifier of "24 = unrelated e/m", searched right before each "=" that a word follows.
DEFINED_EQUALS = re.compile(r"(?<![\w-])(?P<list>[0-9A-Za-z]{2})[ \t]*\Z")


def expand(written: str) -> list[str]:
    """Return the modifiers that *written* stands for: X{EPSU} is XE, XP, XS and XU."""
    if written == "X{EPSU}":
        return ["XE", "XP", "XS", "XU"]
    return [written.upper()]


_ANY_CASE_ITEM = re.compile(r"[0-9A-Za-z]{2}")


def list_items_any_case(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    """Return each two-character item, in any case, between *start* and *end*."""
    return [
        (match.group(), match.start(), match.end())
        for match in _ANY_CASE_ITEM.finditer(text, start, end)
    ]


def list_items(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    """Return each modifier in the list between *start* and *end* with its span."""
    return [
        (match.group(), match.start(), match.end())
        for match in _LIST_ITEM.finditer(text, start, end)
    ]
