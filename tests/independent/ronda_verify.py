#!/usr/bin/python3
"""ronda_verify.py - an independent verifier of ronda bundles and test vectors.

Written from proto/record.md and proto/bundle.md only (not from the C sources), with
Python's `nacl` (libsodium's Ed25519) and `msgpack` packages and hashlib's BLAKE2b. It is
meant to be read by auditors: every check names the section of the spec it comes from.

Usage:
    ronda_verify.py BUNDLE                 verify a bundle file (proto/bundle.md)
    ronda_verify.py --vectors VECTORS      re-derive every byte of proto/vectors.json

Exit status: 0 when everything verifies, 1 when anything does not, 2 on a bad command line
or an unreadable file. Every problem is printed on its own line ("problem: ..."), records
worth knowing about on "note: ..." lines, then one summary line.

Where the spec leaves a choice, this verifier reads it as follows (each is marked "Reading"
where it is implemented):
  - Fork evidence in a bundle is reported as a problem: the ledger is not clean.
  - Revocation (§5) is checked over the whole bundle: a record with a seq above the smallest
    last_seq of its author's revocations is a problem wherever it stands in the bundle.
  - A resolution's topic index (§3 step 9) is checked once the whole bundle is read, against
    the dialogue as it was first recorded, so the result does not depend on record order.
    A resolution whose `dialogue` names a held record of another kind is a problem.
  - A redacted member or revoke record is a problem (the membership rules cannot be applied);
    other redacted records are notes.
  - time: a real calendar date and clock time; the spec gives no range for the year or the
    UTC offset, so any year and any offset below 24:00 pass.
  - member: `polres`/`polsek` are required for the roles listed and optional for the others.
  - A bundle lists each ledger record once: the same record twice is a problem.
  - checkpoint (§4, §8): a claim naming a record the bundle does not hold is a problem
    ("withheld"), unless the record comes after its author's revocation (a note); a claim
    that names another id than the bundle, or than another checkpoint, is a fork problem.
    A checkpoint whose parts are not all in the bundle is a problem; the digest and record
    count are checked against the frontier of a complete checkpoint.
"""

import argparse
import base64
import hashlib
import json
import mmap
import re
import sys
import datetime

import msgpack
import nacl.exceptions
import nacl.signing


def ed25519_ok(key, sig, msg):
    """A detached Ed25519 signature check (proto/note.md: over the note's text bytes)."""
    try:
        nacl.signing.VerifyKey(key).verify(msg, sig)
        return True
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
        return False

# ---------------------------------------------------------------------------------------
# Constants (proto/record.md §1, §3, §4; proto/bundle.md)

SIGN_TAG = b"ronda-record-v1"  # §3: signed bytes are SIGN_TAG || envelope
LEDGER_TAG = b"ronda-ledger-v1"  # §6: ledger digest prefix
ENVELOPE_VERSION = 1

RECORD_MAX = 65536  # §3 sizes: a whole record
ENVELOPE_MAX = 256  # an envelope
BODY_MAX = 65152  # a body
HEADER_MAX = 4096  # proto/bundle.md: a bundle header
NAME_MIN, NAME_MAX = 1, 160  # §3/§4: names, in bytes
TEXT_MIN, TEXT_MAX = 1, 4096  # free texts, in bytes
LIST_MAX = 64  # lists
DEPTH_MAX = 6  # §2.6: nesting depth
UINT_MAX = 2**63 - 1  # §2.2: integers are at most 2^63-1
PARTICIPANTS_MAX = 1000000
TOPIC_INDEX_MAX = 63
CHECKPOINT_AUTHORS_MAX = 512  # §4 checkpoint: frontier entries in one part
CHECKPOINT_PARTS_MAX = 64  # parts of one checkpoint

KINDS = ("dialogue", "resolution", "amend", "member", "revoke", "checkpoint", "cosign")
AUTHORITY_KINDS = ("member", "revoke")  # §5: written by the authority, only by it
WRITER_ROLES = ("precinct", "hq")  # §5: roles that may write the other kinds

PROGRAMMES = ("candu", "warkop", "curhat", "patroli_dialogis", "partnership", "other")
CATEGORIES = ("vulnerable_area", "social_problem", "traffic", "unrest", "criticism",
              "aspiration", "other")
STATUSES = ("in_progress", "referred", "resolved")
ROLES = ("precinct", "hq", "auditor")
AMENDABLE = ("dialogue", "resolution")


class Refused(Exception):
    """A value breaks the spec; the message says how."""


class PastEnd(Refused):
    """A value declares more bytes than the input (or the size limit) leaves."""


def blake2b256(data):
    return hashlib.blake2b(data, digest_size=32).digest()


# ---------------------------------------------------------------------------------------
# Canonical msgpack (proto/record.md §2)
#
# Three steps, each simple enough to check by eye:
#   1. frame():  walk the headers to find where the one value ends, refusing the types §2.1
#                forbids, lengths that run past the input (§2.6), and nesting deeper than 6;
#   2. decode(): the msgpack package decodes it (strings must be valid UTF-8) and we check
#                §2.2 (integer range), §2.4 (no U+0000) and §2.5 (str keys, strictly
#                ascending by encoded bytes, no duplicates);
#   3. encode(): our own canonical encoder (below, a direct transcription of §2.2 and §2.3)
#                re-encodes the value; the bytes must be identical - that is what "exactly
#                one byte string" means.


def encode(value):
    """The canonical msgpack encoding of a value built from None, int >= 0, str, bytes,
    list and dict (str keys)."""
    if value is None:
        return b"\xc0"
    if isinstance(value, bool):
        raise Refused("booleans are not used")
    if isinstance(value, int):
        if value < 0 or value > UINT_MAX:
            raise Refused("integer out of range")
        if value <= 0x7F:
            return bytes([value])  # positive fixint
        if value <= 0xFF:
            return b"\xcc" + value.to_bytes(1, "big")
        if value <= 0xFFFF:
            return b"\xcd" + value.to_bytes(2, "big")
        if value <= 0xFFFFFFFF:
            return b"\xce" + value.to_bytes(4, "big")
        return b"\xcf" + value.to_bytes(8, "big")
    if isinstance(value, str):
        raw = value.encode("utf-8")
        n = len(raw)
        if n < 32:
            return bytes([0xA0 | n]) + raw  # fixstr
        if n < 256:
            return b"\xd9" + n.to_bytes(1, "big") + raw
        if n < 65536:
            return b"\xda" + n.to_bytes(2, "big") + raw
        return b"\xdb" + n.to_bytes(4, "big") + raw
    if isinstance(value, (bytes, bytearray)):
        n = len(value)
        if n < 256:
            return b"\xc4" + n.to_bytes(1, "big") + bytes(value)
        if n < 65536:
            return b"\xc5" + n.to_bytes(2, "big") + bytes(value)
        return b"\xc6" + n.to_bytes(4, "big") + bytes(value)
    if isinstance(value, list):
        n = len(value)
        if n < 16:
            head = bytes([0x90 | n])
        elif n < 65536:
            head = b"\xdc" + n.to_bytes(2, "big")
        else:
            head = b"\xdd" + n.to_bytes(4, "big")
        return head + b"".join(encode(v) for v in value)
    if isinstance(value, dict):
        n = len(value)
        if n < 16:
            head = bytes([0x80 | n])
        elif n < 65536:
            head = b"\xde" + n.to_bytes(2, "big")
        else:
            head = b"\xdf" + n.to_bytes(4, "big")
        items = []
        for k, v in value.items():
            if not isinstance(k, str):
                raise Refused("map keys are str")
            items.append((encode(k), encode(v)))
        items.sort(key=lambda kv: kv[0])  # §2.5: ascending by encoded key bytes
        return head + b"".join(k + v for k, v in items)
    raise Refused("type %s is not used" % type(value).__name__)


def frame(buf, pos, end, what):
    """Return where the one msgpack value starting at buf[pos] ends, reading no further
    than `end`. Refuses forbidden types (§2.1), lengths beyond the input (§2.6) and
    nesting deeper than DEPTH_MAX (§2.6). Iterative, so hostile input cannot recurse."""

    def need(n):
        if pos + n > end:
            raise PastEnd("%s: declared length runs past the end of the input" % what)

    def uint_at(p, n):
        return int.from_bytes(buf[p:p + n], "big")

    pending = [1]  # values still to read at each open level; [1] = the top value
    while pending:
        if pending[-1] == 0:
            pending.pop()
            continue
        pending[-1] -= 1
        need(1)
        b = buf[pos]
        if b <= 0x7F:  # positive fixint
            pos += 1
        elif 0x80 <= b <= 0x9F or b in (0xDC, 0xDD, 0xDE, 0xDF):  # map / array
            if b <= 0x8F:
                count, size, pairs = b & 0x0F, 1, True
            elif b <= 0x9F:
                count, size, pairs = b & 0x0F, 1, False
            else:
                width = 2 if b in (0xDC, 0xDE) else 4
                need(1 + width)
                count, size, pairs = uint_at(pos + 1, width), 1 + width, b in (0xDE, 0xDF)
            pos += size
            items = count * 2 if pairs else count
            if items > end - pos:  # every item takes at least one byte
                raise PastEnd("%s: declared count larger than the bytes that remain" % what)
            pending.append(items)
            if len(pending) - 1 > DEPTH_MAX:
                raise Refused("%s: nested deeper than %d" % (what, DEPTH_MAX))
        elif 0xA0 <= b <= 0xBF:  # fixstr
            need(1 + (b & 0x1F))
            pos += 1 + (b & 0x1F)
        elif b == 0xC0:  # nil
            pos += 1
        elif b in (0xC4, 0xC5, 0xC6, 0xD9, 0xDA, 0xDB):  # bin / str with a length
            width = {0xC4: 1, 0xC5: 2, 0xC6: 4, 0xD9: 1, 0xDA: 2, 0xDB: 4}[b]
            need(1 + width)
            n = uint_at(pos + 1, width)
            need(1 + width + n)
            pos += 1 + width + n
        elif b in (0xCC, 0xCD, 0xCE, 0xCF):  # unsigned integers
            width = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}[b]
            need(1 + width)
            pos += 1 + width
        elif b in (0xC2, 0xC3):
            raise Refused("%s: booleans are refused" % what)
        elif b in (0xCA, 0xCB):
            raise Refused("%s: floats are refused" % what)
        elif b in (0xD0, 0xD1, 0xD2, 0xD3) or b >= 0xE0:
            raise Refused("%s: negative integers are refused" % what)
        elif b in (0xC7, 0xC8, 0xC9) or 0xD4 <= b <= 0xD8:
            raise Refused("%s: ext types are refused" % what)
        else:  # 0xC1
            raise Refused("%s: byte 0x%02x is never used in msgpack" % (what, b))
    return pos


class _Pairs(list):
    """A decoded map, kept as its (key, value) pairs in the order they were encoded."""


def _check_decoded(value, what):
    """§2.2, §2.4, §2.5 on a decoded value; returns it with maps turned into dicts."""
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise Refused("%s: type %s is refused" % (what, type(value).__name__))
    if isinstance(value, int):
        if value < 0 or value > UINT_MAX:
            raise Refused("%s: integer %d out of range 0..2^63-1" % (what, value))
        return value
    if isinstance(value, str):
        if "\x00" in value:
            raise Refused("%s: string contains U+0000" % what)
        return value
    if isinstance(value, _Pairs):
        out = {}
        last = None
        for k, v in value:
            if not isinstance(k, str):
                raise Refused("%s: map key is not a str" % what)
            _check_decoded(k, what)
            ek = encode(k)
            if last is not None and ek <= last:
                raise Refused("%s: map key %r %s" % (
                    what, k, "appears twice" if ek == last else "out of canonical order"))
            last = ek
            out[k] = _check_decoded(v, "%s.%s" % (what, k))
        return out
    if isinstance(value, list):
        return [_check_decoded(v, "%s[%d]" % (what, i)) for i, v in enumerate(value)]
    raise Refused("%s: type %s is refused" % (what, type(value).__name__))


def decode(data, what):
    """Decode bytes holding exactly one canonical msgpack value (§2), or raise Refused."""
    data = bytes(data)
    if frame(data, 0, len(data), what) != len(data):
        raise Refused("%s: bytes after the value" % what)
    try:
        raw = msgpack.unpackb(data, raw=False, strict_map_key=False, use_list=True,
                              object_pairs_hook=_Pairs)
    except UnicodeDecodeError:
        raise Refused("%s: string is not valid UTF-8" % what)
    except Exception as e:  # anything else the decoder refuses
        raise Refused("%s: msgpack decoder refused it (%s)" % (what, e))
    value = _check_decoded(raw, what)
    if encode(value) != data:
        raise Refused("%s: not in canonical form (an integer or length not in its shortest "
                      "form)" % what)
    return value


# ---------------------------------------------------------------------------------------
# Body schemas (proto/record.md §4)
#
# A field is (key, type, required). Types: a tuple ("name",), ("text",), ("time",),
# ("id",) (= key, bin 32), ("uint", max), ("enum", values), ("list", element, min),
# ("topic",), ("map",). `required` is True, False, or a function of the body for the
# conditional keys; the function returns True (required), False (optional) or None
# (forbidden).

NAME, TEXT, TIME, ID, SIG = ("name",), ("text",), ("time",), ("id",), ("sig",)
UINT = ("uint", UINT_MAX)

SCHEMAS = {
    "dialogue": [
        ("when", TIME, True),
        ("title", NAME, True),
        ("venue", NAME, True),
        ("polres", NAME, True),
        ("polsek", NAME, True),
        ("topics", ("list", ("topic",), 1), True),
        ("village", NAME, False),
        ("messages", ("list", TEXT, 0), False),
        ("officers", ("list", NAME, 0), False),
        ("programme", ("enum", PROGRAMMES), True),
        ("participants", ("uint", PARTICIPANTS_MAX), False),
        ("stakeholders", ("list", NAME, 0), False),
    ],
    "resolution": [
        ("when", TIME, True),
        ("topic", ("uint", TOPIC_INDEX_MAX), True),
        ("action", TEXT, True),
        ("status", ("enum", STATUSES), True),
        ("dialogue", ID, True),
        # "iff status = referred": required then, forbidden otherwise
        ("referred_to", NAME, lambda b: True if b.get("status") == "referred" else None),
    ],
    "amend": [
        ("body", ("map",), True),
        ("kind", ("enum", AMENDABLE), True),
        ("reason", TEXT, True),
        ("target", ID, True),
    ],
    "member": [
        ("name", NAME, True),
        ("role", ("enum", ROLES), True),
        # "polres: precinct, hq" and "polsek: precinct" - required for those roles. Reading:
        # the spec does not say they are forbidden for the others, so there they are optional.
        ("polres", NAME, lambda b: b.get("role") in ("precinct", "hq")),
        ("polsek", NAME, lambda b: b.get("role") == "precinct"),
        ("endpoint", NAME, False),
        ("sign_key", ID, True),
        ("curve_key", ID, True),
        ("valid_from", UINT, True),
        ("valid_until", UINT, True),
    ],
    "checkpoint": [
        ("part", ("uint", CHECKPOINT_PARTS_MAX - 1), True),
        ("root", ID, False),  # the writer's tree (proto/tree.md), in part 0
        ("size", UINT, False),
        ("parts", ("uint", CHECKPOINT_PARTS_MAX), True),
        ("digest", ID, True),
        ("records", UINT, True),
        ("frontier", ("list", ("entry",), 1, CHECKPOINT_AUTHORS_MAX), True),
        ("note_sig", SIG, False),  # the writer's note signature (proto/note.md)
    ],
    "cosign": [
        ("seq", ("uint", UINT_MAX, 1), True),
        ("root", ID, True),
        ("size", UINT, True),
        ("writer", ID, True),
        ("note_sig", SIG, True),
        ("checkpoint", ID, True),
    ],
    "revoke": [
        ("member", ID, True),
        ("reason", TEXT, True),
        # "iff last_seq > 0"
        ("last_id", ID, lambda b: True if isinstance(b.get("last_seq"), int)
         and b["last_seq"] > 0 else None),
        ("last_seq", UINT, True),
    ],
}

TOPIC_FIELDS = [("summary", TEXT, True), ("category", ("enum", CATEGORIES), True)]
ENTRY_FIELDS = [("seq", UINT, True), ("head", ID, True), ("author", ID, True)]

TIME_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
                     r"([+-])([0-9]{2}):([0-9]{2})")


def check_time(v, where):
    """time = str YYYY-MM-DDTHH:MM:SS+HH:MM (or -HH:MM), exactly 25 characters. Reading:
    a real calendar date and clock time; the spec bounds neither the year nor the offset,
    so any year 0001..9999 and any offset below 24:00 pass."""
    if not isinstance(v, str) or len(v) != 25:
        raise Refused("%s: not a 25-character time" % where)
    m = TIME_RE.fullmatch(v)
    if not m:
        raise Refused("%s: %r is not YYYY-MM-DDTHH:MM:SS+HH:MM" % (where, v))
    y, mo, d, h, mi, s, _sign, oh, om = m.groups()
    try:
        datetime.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s))
    except ValueError:
        raise Refused("%s: %r is not a valid date and time" % (where, v))
    if int(oh) > 23 or int(om) > 59:
        raise Refused("%s: %r has an invalid UTC offset" % (where, v))


def check_value(v, typ, where):
    t = typ[0]
    if t in ("name", "text"):
        lo, hi = (NAME_MIN, NAME_MAX) if t == "name" else (TEXT_MIN, TEXT_MAX)
        if not isinstance(v, str):
            raise Refused("%s: expected a str (%s)" % (where, t))
        n = len(v.encode("utf-8"))
        if not lo <= n <= hi:
            raise Refused("%s: %d bytes, a %s is %d..%d" % (where, n, t, lo, hi))
    elif t == "time":
        check_time(v, where)
    elif t == "id":
        if not isinstance(v, bytes) or len(v) != 32:
            raise Refused("%s: expected bin 32" % where)
    elif t == "sig":
        if not isinstance(v, bytes) or len(v) != 64:
            raise Refused("%s: expected bin 64" % where)
    elif t == "uint":
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise Refused("%s: expected an unsigned integer" % where)
        if v > typ[1]:
            raise Refused("%s: %d is larger than %d" % (where, v, typ[1]))
        if len(typ) > 2 and v < typ[2]:
            raise Refused("%s: %d is smaller than %d" % (where, v, typ[2]))
    elif t == "enum":
        if not isinstance(v, str) or v not in typ[1]:
            raise Refused("%s: %r is not one of %s" % (where, v, ", ".join(typ[1])))
    elif t == "list":
        if not isinstance(v, list):
            raise Refused("%s: expected an array" % where)
        hi = typ[3] if len(typ) > 3 else LIST_MAX
        if not typ[2] <= len(v) <= hi:
            raise Refused("%s: %d items, allowed %d..%d" % (where, len(v), typ[2], hi))
        for i, item in enumerate(v):
            check_value(item, typ[1], "%s[%d]" % (where, i))
    elif t == "topic":
        check_fields(v, TOPIC_FIELDS, where)
    elif t == "entry":
        check_fields(v, ENTRY_FIELDS, where)
        if v["seq"] < 1:
            raise Refused("%s.seq: a frontier entry names seq >= 1" % where)
    elif t == "map":
        if not isinstance(v, dict):
            raise Refused("%s: expected a map" % where)
    else:  # pragma: no cover - a bug in this table
        raise AssertionError(t)


def check_fields(body, fields, where):
    """Exactly the listed keys: required ones present, forbidden ones absent, no others.
    (Their order was already checked by decode(): the canonical order is the listed one.)"""
    if not isinstance(body, dict):
        raise Refused("%s: expected a map" % where)
    known = {f[0] for f in fields}
    for k in body:
        if k not in known:
            raise Refused("%s: unknown key %r" % (where, k))
    for key, typ, req in fields:
        rule = req(body) if callable(req) else req
        if key not in body:
            if rule is True:
                raise Refused("%s: required key %r is missing" % (where, key))
            continue
        if rule is None:
            raise Refused("%s: key %r is not allowed here" % (where, key))
        check_value(body[key], typ, "%s.%s" % (where, key))


def check_body(kind, body, where="body"):
    """The schema of §4 for one kind, including the cross-field rules."""
    check_fields(body, SCHEMAS[kind], where)
    if kind == "member" and body["valid_until"] <= body["valid_from"]:
        raise Refused("%s: valid_until must be greater than valid_from" % where)
    if kind == "checkpoint":
        if not 1 <= body["parts"] or body["part"] >= body["parts"]:
            raise Refused("%s: part must be below parts (parts >= 1)" % where)
        authors = [e["author"] for e in body["frontier"]]
        if any(a >= b for a, b in zip(authors, authors[1:])):
            raise Refused("%s: frontier entries must ascend strictly by author" % where)
    if kind == "amend":
        # "the complete corrected body, valid for kind's schema"
        check_body(body["kind"], body["body"], where + ".body")


# ---------------------------------------------------------------------------------------
# One record, stateless (proto/record.md §3 "Checking one record")


class Record:
    """A record that passed the stateless checks."""

    def __init__(self, raw, envelope, signature, body_bytes, fields, body):
        self.raw = raw
        self.envelope = envelope
        self.signature = signature
        self.body_bytes = body_bytes  # None when redacted
        (_version, self.author, self.seq, self.prev, self.hlc, self.kind,
         self.body_hash) = fields
        self.body = body  # decoded body map, None when redacted
        self.id = blake2b256(envelope + signature)

    @property
    def redacted(self):
        return self.body_bytes is None


def open_record(raw):
    """Steps 1-5 of §3 on the bytes of one whole record."""
    # 1. size; outer array of 3: bin, bin(64), bin or nil; nothing after it
    if len(raw) > RECORD_MAX:
        raise Refused("record is %d bytes, more than %d" % (len(raw), RECORD_MAX))
    outer = decode(raw, "record")
    if not isinstance(outer, list) or len(outer) != 3:
        raise Refused("record is not an array of 3")
    envelope, signature, body_bytes = outer
    if not isinstance(envelope, bytes):
        raise Refused("record[0] (envelope) is not bin")
    if not isinstance(signature, bytes) or len(signature) != 64:
        raise Refused("record[1] (signature) is not bin 64")
    if body_bytes is not None and not isinstance(body_bytes, bytes):
        raise Refused("record[2] (body) is neither bin nor nil")
    if len(envelope) > ENVELOPE_MAX:
        raise Refused("envelope is %d bytes, more than %d" % (len(envelope), ENVELOPE_MAX))
    if body_bytes is not None and len(body_bytes) > BODY_MAX:
        raise Refused("body is %d bytes, more than %d" % (len(body_bytes), BODY_MAX))

    # 2. envelope: canonical array of 7, nothing after it; known version and kind
    env = decode(envelope, "envelope")
    if not isinstance(env, list) or len(env) != 7:
        raise Refused("envelope is not an array of 7")
    version, author, seq, prev, hlc, kind, body_hash = env
    if version != ENVELOPE_VERSION or not isinstance(version, int):
        raise Refused("envelope version %r is not 1" % (version,))
    if not isinstance(author, bytes) or len(author) != 32:
        raise Refused("envelope author is not bin 32")
    if not isinstance(seq, int) or seq < 1:
        raise Refused("envelope seq is not an unsigned integer >= 1")
    if seq == 1 and prev is not None:
        raise Refused("envelope prev must be nil when seq = 1")
    if seq > 1 and (not isinstance(prev, bytes) or len(prev) != 32):
        raise Refused("envelope prev must be bin 32 when seq > 1")
    if not isinstance(hlc, int):
        raise Refused("envelope hlc is not an unsigned integer")
    if not isinstance(kind, str) or kind not in KINDS:
        raise Refused("envelope kind %r is unknown" % (kind,))
    if not isinstance(body_hash, bytes) or len(body_hash) != 32:
        raise Refused("envelope body_hash is not bin 32")

    # 3. the signature, before the body is parsed
    try:
        nacl.signing.VerifyKey(author).verify(SIGN_TAG + envelope, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError,
            nacl.exceptions.CryptoError):
        raise Refused("Ed25519 signature does not verify")

    # 4. body hash; 5. body canonical and valid for its kind
    body = None
    if body_bytes is not None:
        if blake2b256(body_bytes) != body_hash:
            raise Refused("BLAKE2b-256(body) differs from the envelope's body_hash")
        body = decode(body_bytes, "body")
        check_body(kind, body)
    return Record(raw, envelope, signature, body_bytes, env, body)


# ---------------------------------------------------------------------------------------
# A ledger: records checked against the ones before them (§3 steps 6-9, §5, §6)


class Ledger:
    def __init__(self, authority):
        self.authority = authority
        self.heads = {}  # author -> (seq, id, hlc) of its last record
        self.by_id = {}  # id -> (author, seq, kind)
        self.by_seq = {}  # (author, seq) -> id
        self.members = {}  # sign_key -> [(role, valid_from, valid_until)]
        self.revoked_at = {}  # member key -> smallest last_seq of its revocations
        self.dialogue_topics = {}  # dialogue id -> number of topics (None if redacted)
        self.resolutions = []  # (resolution id, dialogue id, topic) for the final check
        self.checkpoints = []  # (id, author, seq, body) for the final check (§8)
        self.cosigns = []  # (id, author, body): proto/note.md
        self.problems = []  # problems found after a record was taken into the ledger
        self.notes = []  # things to report that are not problems (redacted records)
        self.count = 0

    def add(self, rec):
        """Check one record against the ledger so far; raise Refused, or store it."""
        short = rec.author.hex()[:16]
        # 6. chain: the author's next seq, prev = id of seq-1, hlc strictly greater
        head = self.heads.get(rec.author)
        if head is None:
            if rec.seq != 1:
                raise Refused("gap: author %s starts at seq %d" % (short, rec.seq))
        else:
            last_seq, last_id, last_hlc = head
            if rec.seq <= last_seq:
                held = self.by_seq[(rec.author, rec.seq)]
                if held == rec.id:  # Reading: a bundle lists each record once
                    raise Refused("duplicate of a record already in the bundle")
                raise Refused("fork: author %s seq %d is held under another id"
                              % (short, rec.seq))
            if rec.seq != last_seq + 1:
                raise Refused("gap: author %s seq %d follows seq %d"
                              % (short, rec.seq, last_seq))
            if rec.prev != last_id:
                raise Refused("prev is not the id of the author's record seq %d" % last_seq)
            if rec.hlc <= last_hlc:
                raise Refused("hlc %d is not greater than the previous record's %d"
                              % (rec.hlc, last_hlc))

        # 8. authority and membership (§5)
        is_authority = rec.author == self.authority
        if rec.kind in AUTHORITY_KINDS:
            if not is_authority:
                raise Refused("%s written by %s, not by the authority" % (rec.kind, short))
        else:
            if is_authority:
                raise Refused("the authority writes only member and revoke, not %s"
                              % rec.kind)
            t = rec.hlc >> 16
            grants = self.members.get(rec.author, [])
            if not grants:
                raise Refused("author %s is not a member" % short)
            if not any(role in WRITER_ROLES and lo <= t < hi for role, lo, hi in grants):
                if any(lo <= t < hi for _role, lo, hi in grants):
                    raise Refused("author %s's role may not write %s" % (short, rec.kind))
                raise Refused("author %s is not a member at hlc time %d ms" % (short, t))
            if rec.kind in ("checkpoint", "cosign") and not any(role == "hq" and lo <= t < hi
                                                                for role, lo, hi in grants):
                raise Refused("author %s's role may not write %ss (hq only)" % (short, rec.kind))
            limit = self.revoked_at.get(rec.author)
            if limit is not None and rec.seq > limit:
                raise Refused("author %s was revoked after seq %d; this is seq %d"
                              % (short, limit, rec.seq))

        # 9. references: an amend's target is an earlier record of the same author, of the
        #    kind it names (resolutions are checked at the end: their dialogue may come later)
        if rec.kind == "amend" and rec.body is not None:
            target = self.by_id.get(rec.body["target"])
            if target is None:
                raise Refused("amend target %s is not an earlier record in the bundle"
                              % rec.body["target"].hex()[:16])
            t_author, t_seq, t_kind = target
            if t_author != rec.author or t_seq >= rec.seq:
                raise Refused("amend target is not an earlier record of the same author")
            if t_kind != rec.body["kind"]:
                raise Refused("amend names kind %s but its target is a %s"
                              % (rec.body["kind"], t_kind))

        # stored: update the state
        self.heads[rec.author] = (rec.seq, rec.id, rec.hlc)
        self.by_id[rec.id] = (rec.author, rec.seq, rec.kind)
        self.by_seq[(rec.author, rec.seq)] = rec.id
        self.count += 1
        if rec.body is not None:
            b = rec.body
            if rec.kind == "member":
                self.members.setdefault(b["sign_key"], []).append(
                    (b["role"], b["valid_from"], b["valid_until"]))
            elif rec.kind == "revoke":
                old = self.revoked_at.get(b["member"])
                self.revoked_at[b["member"]] = (b["last_seq"] if old is None
                                                else min(old, b["last_seq"]))
            elif rec.kind == "dialogue":
                self.dialogue_topics[rec.id] = len(b["topics"])
            elif rec.kind == "resolution":
                self.resolutions.append((rec.id, b["dialogue"], b["topic"]))
            elif rec.kind == "checkpoint":
                self.checkpoints.append((rec.id, rec.author, rec.seq, b))
            elif rec.kind == "cosign":
                self.cosigns.append((rec.id, rec.author, b))
        else:
            # Redacted (§3): signature, id and chain verified; body hash and schema cannot be.
            self.notes.append("record %s (%s seq %d by %s) is redacted"
                              % (rec.id.hex(), rec.kind, rec.seq, short))
            if rec.kind == "dialogue":
                self.dialogue_topics[rec.id] = None
            elif rec.kind in AUTHORITY_KINDS:
                # Without the body nobody can tell whom it admits or revokes, so §5 cannot
                # be applied to the ledger: an auditor must not call such a ledger verified.
                self.problems.append("record %s: a redacted %s record: the membership rules "
                                     "cannot be checked" % (rec.id.hex(), rec.kind))

    def final_problems(self):
        """Checks that need the whole ledger, so that their result does not depend on the
        order of the records. Reading: a record above its author's smallest revoked
        last_seq is a problem even if it came before the revocation; a resolution's topic
        must exist in its dialogue as first recorded, whenever that dialogue is held."""
        problems = list(self.problems)
        for (author, seq), rid in self.by_seq.items():
            limit = self.revoked_at.get(author)
            if limit is not None and seq > limit and author != self.authority:
                problems.append("record %s: author %s has seq %d after its revocation at "
                                "seq %d" % (rid.hex(), author.hex()[:16], seq, limit))
        for rid, dialogue, topic in self.resolutions:
            if dialogue in self.by_id:
                kind = self.by_id[dialogue][2]
                if kind != "dialogue":
                    problems.append("record %s: resolution names a %s, not a dialogue"
                                    % (rid.hex(), kind))
                    continue
                n = self.dialogue_topics.get(dialogue)
                if n is not None and topic >= n:
                    problems.append("record %s: topic %d does not exist (the dialogue has "
                                    "%d)" % (rid.hex(), topic, n))
        problems.extend(self.checkpoint_problems())
        problems.extend(self.note_problems())
        return problems

    def note_text(self, writer, seq, size, root):
        """proto/note.md: the four lines a checkpoint's note signs."""
        origin = "ronda/%s/%s" % (self.authority.hex()[:16], writer.hex())
        return ("%s\n%d\n%s\nronda-checkpoint %d\n"
                % (origin, size, base64.b64encode(root).decode(), seq)).encode()

    def note_problems(self):
        """proto/note.md and record.md §4 cosign: a checkpoint's note signature verifies with
        its writer's key; a cosign's with its author's, over the note of the checkpoint it
        names, which must be held as that writer's part 0 at that seq with that size and root
        (size = records, root = digest)."""
        problems = []
        parts0 = {}
        for cid, author, seq, b in self.checkpoints:
            if b["part"] != 0:
                continue
            parts0[cid] = (author, seq, b)
            if "note_sig" in b and not ed25519_ok(author, b["note_sig"],
                                                  self.note_text(author, seq, *note_head(b))):
                problems.append("checkpoint %s: its note signature does not verify" % cid.hex())
        for rid, author, b in self.cosigns:
            text = self.note_text(b["writer"], b["seq"], b["size"], b["root"])
            if b["writer"] == author:
                problems.append("cosign %s: cosigns its own checkpoint" % rid.hex())
            elif not ed25519_ok(author, b["note_sig"], text):
                problems.append("cosign %s: its signature does not verify" % rid.hex())
            elif b["checkpoint"] not in parts0:
                problems.append("cosign %s names checkpoint %s, which the bundle does not hold"
                                % (rid.hex(), b["checkpoint"].hex()))
            else:
                w, seq, cb = parts0[b["checkpoint"]]
                if (w, seq, cb["records"], cb["digest"]) != (b["writer"], b["seq"], b["size"], b["root"]):
                    problems.append("cosign %s: the checkpoint it names has another writer, seq, "
                                    "size or root" % rid.hex())
        return problems

    def checkpoint_problems(self):
        """§8: every (author, seq, head) a checkpoint names must be held with that id; two
        checkpoints must not name different ids for one (author, seq); a checkpoint's parts
        are consecutive records of its author, and a complete one's digest and record count
        are those of its own frontier (§6)."""
        problems = []
        claims = {}  # (author, seq) -> (head, checkpoint id)
        groups = []  # [first id, parts expected, [bodies]]
        for cid, author, seq, b in sorted(self.checkpoints, key=lambda c: (c[1], c[2])):
            g = groups[-1] if groups else None
            if (b["part"] > 0 and g and g[1] == author and g[2] + len(g[4]) == seq
                    and len(g[4]) == b["part"] and g[4][0]["parts"] == b["parts"]
                    and g[4][0]["digest"] == b["digest"] and g[4][0]["records"] == b["records"]):
                g[4].append(b)
            else:
                groups.append([cid, author, seq, b["parts"] if b["part"] == 0 else 0, [b]])
            for e in b["frontier"]:
                key = (e["author"], e["seq"])
                other = claims.get(key)
                if other is not None and other[0] != e["head"]:
                    problems.append("checkpoints %s and %s name different records for author %s "
                                    "seq %d: FORK evidence" % (other[1].hex(), cid.hex(),
                                                               e["author"].hex()[:16], e["seq"]))
                claims.setdefault(key, (e["head"], cid))
                held = self.by_seq.get(key)
                if held is None:
                    limit = self.revoked_at.get(e["author"])
                    if limit is not None and e["seq"] > limit:
                        self.notes.append("checkpoint %s names author %s seq %d, after its "
                                          "revocation" % (cid.hex(), e["author"].hex()[:16], e["seq"]))
                    else:
                        problems.append("checkpoint %s names author %s seq %d (%s), which the "
                                        "bundle does not hold: lost or withheld"
                                        % (cid.hex(), e["author"].hex()[:16], e["seq"],
                                           e["head"].hex()))
                elif held != e["head"]:
                    problems.append("checkpoint %s names %s for author %s seq %d, the bundle "
                                    "holds %s: FORK evidence" % (cid.hex(), e["head"].hex(),
                                                                 e["author"].hex()[:16], e["seq"],
                                                                 held.hex()))
        for cid, _author, _seq, parts, bodies in groups:
            if len(bodies) != parts:
                problems.append("checkpoint %s: %d of its parts are in the bundle, expected %s"
                                % (cid.hex(), len(bodies), parts or "part 1 first"))
                continue
            entries = [e for b in bodies for e in b["frontier"]]
            h = hashlib.blake2b(digest_size=32)
            h.update(LEDGER_TAG)
            for a, b in zip(entries, entries[1:]):
                if a["author"] >= b["author"]:
                    problems.append("checkpoint %s: parts do not ascend by author" % cid.hex())
                    break
            for e in entries:
                h.update(e["author"] + e["seq"].to_bytes(8, "big") + e["head"])
            if h.digest() != bodies[0]["digest"]:
                problems.append("checkpoint %s: digest does not match its frontier" % cid.hex())
            if sum(e["seq"] for e in entries) != bodies[0]["records"]:
                problems.append("checkpoint %s: record count does not match its frontier"
                                % cid.hex())
        return problems

    def digest(self, evidence=()):
        """§6: BLAKE2b-256("ronda-ledger-v1" || per author, ascending by key bytes:
        author || seq (8 bytes big-endian) || id of its last record
        [|| fork seq k || the two lowest ids held for seq k, for a forked author]).

        evidence: the fork-evidence records (valid records for an (author, seq) the ledger
        holds under another id). An author's fork seq k is the lowest such seq; its
        frontier entry is then its record k - 1 (seq 0 and zero bytes when k = 1)."""
        fork_at = {}
        for rec in evidence:
            held = self.by_seq.get((rec.author, rec.seq))
            if held is not None and held != rec.id:
                k = fork_at.get(rec.author)
                fork_at[rec.author] = rec.seq if k is None else min(k, rec.seq)
        h = hashlib.blake2b(digest_size=32)
        h.update(LEDGER_TAG)
        for author in sorted(set(self.heads) | set(fork_at)):
            k = fork_at.get(author)
            if k is None:
                seq, rid, _hlc = self.heads[author]
                h.update(author + seq.to_bytes(8, "big") + rid)
                continue
            prev = self.by_seq.get((author, k - 1)) if k > 1 else None
            h.update(author + (k - 1 if prev else 0).to_bytes(8, "big") + (prev or bytes(32)))
            ids = {self.by_seq[(author, k)]} | {
                r.id for r in evidence if r.author == author and r.seq == k}
            pair = sorted(ids)[:2]
            h.update(k.to_bytes(8, "big") + b"".join(pair))
        return h.digest()


# ---------------------------------------------------------------------------------------
# Bundles (proto/bundle.md)

HEADER_KEYS = ["forks", "digest", "format", "created", "records", "version", "authority"]


def check_header(header):
    if not isinstance(header, dict):
        raise Refused("header is not a map")
    if list(header) != HEADER_KEYS:
        raise Refused("header keys are %s, expected exactly %s"
                      % (list(header), HEADER_KEYS))
    for key in ("forks", "created", "records", "version"):
        if not isinstance(header[key], int):
            raise Refused("header %s is not an unsigned integer" % key)
    for key in ("digest", "authority"):
        if not isinstance(header[key], bytes) or len(header[key]) != 32:
            raise Refused("header %s is not bin 32" % key)
    if header["format"] != "ronda-bundle":
        raise Refused("header format is %r, not 'ronda-bundle'" % (header["format"],))
    if header["version"] != 1:
        raise Refused("header version is %r, not 1" % (header["version"],))


def verify_bundle(path, out):
    """Verify a bundle; print every problem and a summary; return the exit status."""
    problems = []

    def problem(text):
        problems.append(text)
        if len(problems) <= 200:
            print("problem: " + text, file=out)
        elif len(problems) == 201:
            print("problem: (further problems not printed)", file=out)

    with open(path, "rb") as f:
        try:
            buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped
            buf = b""
    size = len(buf)

    # The header
    try:
        try:
            end = frame(buf, 0, min(size, HEADER_MAX), "header")
        except PastEnd as e:
            if size > HEADER_MAX:
                raise Refused("larger than %d bytes, or %s" % (HEADER_MAX, e))
            raise
        header = decode(buf[0:end], "header")
        check_header(header)
    except Refused as e:
        problem(str(e) if size else "empty file: not a bundle")
        print("ronda_verify: %s: FAILED, no valid bundle header" % path, file=out)
        return 1
    pos = end
    ledger = Ledger(header["authority"])

    # Ledger records, then fork evidence: each one framed, opened and checked in turn.
    # A record that fails is reported and left out of the ledger, so the ones after it
    # are still checked (an author's later records will then report a gap).
    forks = []
    counts = {"records": 0, "forks": 0}
    for section, expected in (("records", header["records"]), ("forks", header["forks"])):
        for i in range(expected):
            label = "%s %d" % ("record" if section == "records" else "fork record", i + 1)
            if pos >= size:
                problem("%s: the bundle ends; the header announced %d %s"
                        % (label, expected, section))
                break
            try:
                end = frame(buf, pos, min(size, pos + RECORD_MAX), "%s at byte %d" % (label, pos))
            except PastEnd as e:
                if size > pos + RECORD_MAX:
                    e = "%s (or the record is larger than %d bytes)" % (e, RECORD_MAX)
                problem("%s (reading stops here)" % e)
                pos = size
                break
            except Refused as e:
                problem("%s (reading stops here)" % e)
                pos = size
                break
            raw = bytes(buf[pos:end])
            pos = end
            counts[section] += 1
            try:
                rec = open_record(raw)
            except Refused as e:
                problem("%s: %s" % (label, e))
                continue
            if section == "records":
                try:
                    ledger.add(rec)
                except Refused as e:
                    problem("%s (id %s, %s seq %d): %s"
                            % (label, rec.id.hex(), rec.kind, rec.seq, e))
            else:
                forks.append((label, rec))
    if pos < size:
        problem("%d bytes after the last record the header announced" % (size - pos))

    # Fork evidence (proto/record.md §3 step 7): a valid record for an (author, seq)
    # the ledger holds under another id. It is never part of the ledger. Reading: a fork
    # is a problem (an author signed two records for one seq), as `ronda verify` says.
    for label, rec in forks:
        held = ledger.by_seq.get((rec.author, rec.seq))
        if held is None or held == rec.id:
            problem("%s: not fork evidence (the ledger holds no other record for author "
                    "%s seq %d)" % (label, rec.author.hex()[:16], rec.seq))
        else:
            problem("%s: FORK by author %s at seq %d: %s and %s"
                    % (label, rec.author.hex(), rec.seq, held.hex(), rec.id.hex()))

    for text in ledger.final_problems():
        problem(text)
    for text in ledger.notes:
        print("note: " + text, file=out)

    if counts["records"] != header["records"]:
        problem("the header announces %d records, the bundle holds %d"
                % (header["records"], counts["records"]))
    digest = ledger.digest([rec for _label, rec in forks])
    if digest != header["digest"]:
        problem("ledger digest of the records %s differs from the header's %s"
                % (digest.hex(), header["digest"].hex()))

    status = "OK" if not problems else "FAILED, %d problem%s" % (
        len(problems), "" if len(problems) == 1 else "s")
    print("ronda_verify: %s: %d records, %d authors, %d fork records, digest %s: %s"
          % (path, ledger.count, len(ledger.heads), counts["forks"], digest.hex(), status),
          file=out)
    return 0 if not problems else 1


# ---------------------------------------------------------------------------------------
# Test vectors (proto/record.md §7)


def body_from_json(kind, obj, where="body"):
    """Turn a body given as JSON (ids and keys as hex) into the value to encode, using the
    schema of §4 to know which strings are bin."""
    fields = {"topic": TOPIC_FIELDS, "entry": ENTRY_FIELDS}.get(kind) or SCHEMAS[kind]
    if not isinstance(obj, dict):
        raise Refused("%s: expected a JSON object" % where)
    out = {}
    types = {f[0]: f[1] for f in fields}
    for key, v in obj.items():
        if key not in types:
            raise Refused("%s: unknown key %r" % (where, key))
        out[key] = _from_json(types[key], v, obj, "%s.%s" % (where, key))
    return out


def _from_json(typ, v, parent, where):
    t = typ[0]
    if t == "id":
        if not isinstance(v, str) or not re.fullmatch(r"[0-9a-f]{64}", v):
            raise Refused("%s: expected 64 lower-case hex digits" % where)
        return bytes.fromhex(v)
    if t == "list":
        if not isinstance(v, list):
            raise Refused("%s: expected a JSON array" % where)
        return [_from_json(typ[1], x, parent, "%s[%d]" % (where, i)) for i, x in enumerate(v)]
    if t in ("topic", "entry"):
        return body_from_json(t, v, where)
    if t == "map":  # the amend's body: the target kind's schema
        return body_from_json(parent.get("kind"), v, where)
    if t == "uint" and (not isinstance(v, int) or isinstance(v, bool)):
        raise Refused("%s: expected a JSON integer" % where)
    return v


def verify_vectors(path, out):
    with open(path, "rb") as f:
        doc = json.load(f)
    checks = 0
    problems = []

    def expect(ok, name, text):
        nonlocal checks
        checks += 1
        if not ok:
            problems.append("%s: %s" % (name, text))
            print("problem: %s: %s" % (name, text), file=out)

    auth = doc["authority"]
    auth_key = nacl.signing.SigningKey(bytes.fromhex(auth["seed"]))
    expect(auth_key.verify_key.encode().hex() == auth["public_key"], "authority",
           "public key does not match the seed")
    ledger = Ledger(bytes.fromhex(auth["public_key"]))

    for v in doc["vectors"]:
        name = v["name"]
        try:
            # The key pair from the seed (RFC 8032: the seed is the secret key)
            sk = nacl.signing.SigningKey(bytes.fromhex(v["seed"]))
            pk = sk.verify_key.encode()
            expect(pk.hex() == v["public_key"], name, "public key does not match the seed")
            # The body: canonical msgpack of the JSON, valid for its kind
            value = body_from_json(v["kind"], v["body"])
            check_body(v["kind"], value)
            body = encode(value)
            expect(body.hex() == v["body_hex"], name, "body bytes differ")
            expect(decode(body, "body") == value, name, "body does not decode to itself")
            body_hash = blake2b256(body)
            expect(body_hash.hex() == v["body_hash"], name, "body hash differs")
            # The envelope, its fields as given
            prev = None if v["prev"] is None else bytes.fromhex(v["prev"])
            expect(v["hlc"] == (v["hlc_ms"] << 16 | v["hlc_counter"]), name,
                   "hlc is not hlc_ms << 16 | hlc_counter")
            envelope = encode([ENVELOPE_VERSION, pk, v["seq"], prev, v["hlc"], v["kind"],
                               body_hash])
            expect(envelope.hex() == v["envelope"], name, "envelope bytes differ")
            # Ed25519 is deterministic: signing again gives the same 64 bytes
            signature = sk.sign(SIGN_TAG + envelope).signature
            expect(signature.hex() == v["signature"], name, "signature differs")
            rid = blake2b256(envelope + signature)
            expect(rid.hex() == v["id"], name, "id differs")
            record = encode([envelope, signature, body])
            expect(record.hex() == v["record"], name, "record bytes differ")
            # And the given record bytes pass every check, alone and as a ledger
            rec = open_record(bytes.fromhex(v["record"]))
            checks += 1
            ledger.add(rec)
            checks += 1
        except (Refused, KeyError, ValueError, TypeError) as e:
            problems.append("%s: %s" % (name, e))
            print("problem: %s: %s" % (name, e), file=out)
    for text in ledger.final_problems():
        problems.append(text)
        print("problem: " + text, file=out)
    kinds = sorted({v["kind"] for v in doc["vectors"]})
    # cosign has no record vector (proto/vectors.json stays as it was); its signature's
    # vector is the note's (tests/unit/witness_test.c, proto/note.md).
    expect(kinds == sorted(k for k in KINDS if k != "cosign"), "vectors",
           "not one record of each kind: %s" % kinds)

    status = "OK" if not problems else "FAILED, %d problems" % len(problems)
    print("ronda_verify: %s: %d vectors, %d checks, ledger digest %s: %s"
          % (path, len(doc["vectors"]), checks, ledger.digest().hex(), status), file=out)
    return 0 if not problems else 1


def note_head(b):
    """proto/note.md §1: a checkpoint's note size and root: its tree's when part 0 has one."""
    if "size" in b:
        return b["size"], b["root"]
    return b["records"], b["digest"]


# ---------------------------------------------------------------------------------------
# Merkle proofs (proto/tree.md): RFC 6962 hashing with SHA-256, written from RFC 9162


def tree_leaf(data):
    return hashlib.sha256(b"\x00" + data).digest()


def tree_node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def inclusion_ok(leaf, index, size, path, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = tree_node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = tree_node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def consistency_ok(m, n, old_root, new_root, path):
    """RFC 9162 §2.1.4.2 (m = n: an empty proof and equal roots)."""
    if m < 1 or m > n:
        return False
    if m == n:
        return not path and old_root == new_root
    if not path:
        return False
    if m & (m - 1) == 0:
        path = [old_root] + list(path)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = tree_node(c, fr)
            sr = tree_node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = tree_node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


def tree_root(hashes):
    """RFC 6962 MTH over leaf hashes."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return tree_node(tree_root(hashes[:k]), tree_root(hashes[k:]))


def verify_tree_vectors(path, out):
    """proto/tree-vectors.json: every hash, root and proof recomputed or verified here."""
    with open(path) as f:
        v = json.load(f)
    problems = 0
    hashes = []
    for leaf in v["leaves"]:
        h = tree_leaf(bytes.fromhex(leaf["data"]))
        hashes.append(h)
        if h.hex() != leaf["hash"]:
            problems += 1
            print("FAILED leaf %s" % leaf["data"], file=out)
    roots = {}
    for r in v["roots"]:
        roots[r["size"]] = bytes.fromhex(r["root"])
        if tree_root(hashes[:r["size"]]) != roots[r["size"]]:
            problems += 1
            print("FAILED root of %d" % r["size"], file=out)
    for p in v["inclusion"]:
        i, n = p["index"], p["size"]
        if not inclusion_ok(hashes[i], i, n, [bytes.fromhex(h) for h in p["path"]], roots[n]):
            problems += 1
            print("FAILED inclusion %d of %d" % (i, n), file=out)
    for p in v["consistency"]:
        m, n = p["old_size"], p["new_size"]
        if not consistency_ok(m, n, roots[m], roots[n], [bytes.fromhex(h) for h in p["path"]]):
            problems += 1
            print("FAILED consistency %d -> %d" % (m, n), file=out)
    print("%s: %d leaves, %d roots, %d inclusion and %d consistency proofs, %d problems"
          % (path, len(hashes), len(roots), len(v["inclusion"]), len(v["consistency"]), problems), file=out)
    return 1 if problems else 0


def verify_proof(path, out):
    """proto/tree.md §5: a proof file, from its bytes alone."""
    with open(path, "rb") as f:
        raw = f.read(512 * 1024 + 1)
    if len(raw) > 512 * 1024:
        print("FAILED: larger than a proof can be", file=out)
        return 1
    try:
        p = json.loads(raw)
        if p.get("format") != "ronda-proof-v1" or p.get("type") not in ("inclusion", "consistency"):
            raise Refused("not a ronda-proof-v1 file")
        authority = bytes.fromhex(p["authority"])
        writer = bytes.fromhex(p["writer"])
        hashes = [bytes.fromhex(h) for h in p["path"]]
        if len(hashes) > 64 or any(len(h) != 32 for h in hashes):
            raise Refused("path: at most 64 hashes of 32 bytes")
        ledger = Ledger(authority)

        def checkpoint(key):
            rec = open_record(bytes.fromhex(p[key]))
            b = rec.body
            if rec.kind != "checkpoint" or b is None or b["part"] != 0 or "size" not in b:
                raise Refused("%s: not a checkpoint's part 0 with a tree" % key)
            if rec.author != writer:
                raise Refused("%s: not the writer's" % key)
            if "note_sig" in b and not ed25519_ok(writer, b["note_sig"],
                                                  ledger.note_text(writer, rec.seq, *note_head(b))):
                raise Refused("%s: its note signature does not verify" % key)
            return rec

        if p["type"] == "inclusion":
            cp = checkpoint("checkpoint")
            rec = open_record(bytes.fromhex(p["record"]))
            rid = rec.id
            if p["size"] != cp.body["size"]:
                raise Refused("size is not the checkpoint's")
            if not inclusion_ok(tree_leaf(rid), p["index"], p["size"], hashes, cp.body["root"]):
                raise Refused("the path does not lead from the record to the root")
            print("OK: record %s is leaf %d of %d" % (rid.hex(), p["index"], p["size"]), file=out)
        else:
            old, new = checkpoint("old"), checkpoint("new")
            if old.seq > new.seq:
                raise Refused("old is later than new")
            if p["old_size"] != old.body["size"] or p["new_size"] != new.body["size"]:
                raise Refused("sizes are not the checkpoints'")
            if not consistency_ok(p["old_size"], p["new_size"], old.body["root"], new.body["root"], hashes):
                raise Refused("the path does not prove the old tree a prefix of the new")
            print("OK: tree of size %d is a prefix of size %d" % (p["old_size"], p["new_size"]), file=out)
        return 0
    except (Refused, KeyError, TypeError, ValueError, AttributeError) as e:
        print("FAILED: %s" % e, file=out)
        return 1


def main(argv):
    ap = argparse.ArgumentParser(description="Independent verifier of ronda bundles "
                                 "(proto/bundle.md) and test vectors (proto/record.md §7).")
    ap.add_argument("--vectors", metavar="VECTORS", help="check a test-vector file")
    ap.add_argument("--proof", metavar="FILE", help="check a proof file (proto/tree.md)")
    ap.add_argument("--tree-vectors", metavar="FILE", help="check proto/tree-vectors.json")
    ap.add_argument("bundle", nargs="?", metavar="BUNDLE", help="a bundle to verify")
    args = ap.parse_args(argv)
    if [args.vectors, args.bundle, args.proof, args.tree_vectors].count(None) != 3:
        ap.error("give one of BUNDLE, --vectors VECTORS, --proof FILE, --tree-vectors FILE")
    try:
        if args.tree_vectors is not None:
            return verify_tree_vectors(args.tree_vectors, sys.stdout)
        if args.proof is not None:
            return verify_proof(args.proof, sys.stdout)
        if args.vectors is not None:
            return verify_vectors(args.vectors, sys.stdout)
        return verify_bundle(args.bundle, sys.stdout)
    except OSError as e:
        print("ronda_verify: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
