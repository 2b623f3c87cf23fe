#!/bin/bash
# test_ctl.sh: netiquettectl end to end.  Runs the built tool against the
# fixture rule directories in tests/fixtures/ctl/ and the shipped rules,
# and checks outputs and exit statuses of rules check/dump, classify and
# eval, including the bad-input paths.  JSON is checked with python3.
set -u

SRC=${NQ_SOURCE_DIR:?NQ_SOURCE_DIR not set}
BUILD=${NQ_BUILD_DIR:?NQ_BUILD_DIR not set}
CTL=${NQ_CTL:-$BUILD/netiquettectl}
FIX=$SRC/tests/fixtures/ctl
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_ctl.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
unset NETIQUETTE_RULES

fails=0
checks=0

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# run NAME EXPECTED_STATUS ARGS...: runs the tool, output in $TMP/NAME.{out,err}
run() {
	local name=$1 want=$2 got
	shift 2
	checks=$((checks + 1))
	"$CTL" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	got=$?
	if [ "$got" != "$want" ]; then
		fail "$name: exit $got, expected $want (netiquettectl $*)"
		sed 's/^/    stderr: /' "$TMP/$name.err" | head -20 >&2
	fi
}

# run_in NAME EXPECTED_STATUS INPUTFILE ARGS...: like run, stdin from a file
run_in() {
	local name=$1 want=$2 in=$3 got
	shift 3
	checks=$((checks + 1))
	"$CTL" "$@" <"$in" >"$TMP/$name.out" 2>"$TMP/$name.err"
	got=$?
	if [ "$got" != "$want" ]; then
		fail "$name: exit $got, expected $want (netiquettectl $* < $in)"
		sed 's/^/    stderr: /' "$TMP/$name.err" | head -20 >&2
	fi
}

# has NAME STREAM TEXT: the output contains a line with TEXT (fixed string)
has() {
	checks=$((checks + 1))
	grep -qF -- "$3" "$TMP/$1.$2" || {
		fail "$1: $2 lacks: $3"
		sed 's/^/    /' "$TMP/$1.$2" | head -20 >&2
	}
}

hasnt() {
	checks=$((checks + 1))
	! grep -qF -- "$3" "$TMP/$1.$2" || fail "$1: $2 must not contain: $3"
}

# json NAME PYTHON-EXPR: o is the list of JSON objects on NAME's stdout,
# one per line (the whole stdout must be JSON lines); the expression must
# be true.
json() {
	checks=$((checks + 1))
	python3 - "$TMP/$1.out" "$2" <<'PY' || fail "$1: $2"
import json, sys
path, expr = sys.argv[1], sys.argv[2]
with open(path, "rb") as f:
    raw = f.read()
lines = raw.split(b"\n")
if lines and lines[-1] == b"":
    lines.pop()
else:
    print("    stdout does not end in a newline", file=sys.stderr)
    sys.exit(1)
try:
    o = [json.loads(l) for l in lines]
except ValueError as e:
    print("    not JSON lines: %s" % e, file=sys.stderr)
    sys.exit(1)
ok = eval(expr)
if not ok:
    for x in o[:10]:
        print("    " + json.dumps(x, ensure_ascii=False)[:300], file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}

[ -x "$CTL" ] || { echo "no netiquettectl at $CTL" >&2; exit 1; }

# --- rules check ------------------------------------------------------------

run check_good 0 rules check "$FIX/good"
has check_good out "rules OK: 3 rules, 9 examples"

run check_global 0 --rules "$FIX/good" rules check
has check_global out "rules OK: 3 rules"

run check_opt 0 rules check --rules "$FIX/good"
has check_opt out "rules OK: 3 rules"

checks=$((checks + 1))
NETIQUETTE_RULES=$FIX/good "$CTL" rules check >"$TMP/env.out" 2>&1 ||
    fail "NETIQUETTE_RULES not used"
has env out "rules OK: 3 rules"

# An explicit DIR beats the environment.
checks=$((checks + 1))
NETIQUETTE_RULES=$FIX/bad "$CTL" rules check "$FIX/good" >/dev/null 2>&1 ||
    fail "DIR argument does not override NETIQUETTE_RULES"

# Every problem, each as file:line: message, all of them.
run check_bad 1 rules check "$FIX/bad"
has check_bad err "$FIX/bad/a.rules:7: "
has check_bad err "$FIX/bad/a.rules:12: "
has check_bad err "$FIX/bad/b.rules:3: "
hasnt check_bad out "rules OK"
checks=$((checks + 1))
grep -vqE '^[^:]+:[0-9]+: .+' "$TMP/check_bad.err" &&
    fail "check_bad: a stderr line is not file:line: message"

run check_failing 1 rules check "$FIX/failing"
has check_failing err "$FIX/failing/f.rules:5: "
has check_failing err "$FIX/failing/f.rules:6: "
hasnt check_failing err "$FIX/failing/f.rules:7: "

run check_missing 66 rules check "$TMP/no-such-dir"
run check_usage 64 rules check a b
run unknown_cmd 64 frobnicate
run unknown_sub 64 rules frobnicate
run no_cmd 64
run help 0 help
has help out "rules check"
has help out "classify"
has help out "eval"

# The shipped rules: the default directory of a build tree.
run check_shipped 0 rules check
has check_shipped out "rules OK: "
run check_shipped_nojit 0 --no-jit rules check "$SRC/rules"
has check_shipped_nojit out "rules OK: "

# --- rules dump -------------------------------------------------------------

run dump 0 rules dump "$FIX/good"
has dump out "[rule insult.idiot]"
has dump out "[rule vulgar.words]"
mkdir "$TMP/dumped"
cp "$TMP/dump.out" "$TMP/dumped/all.rules"
run dump_check 0 rules check "$TMP/dumped"
has dump_check out "rules OK: 3 rules, 9 examples"
run dump_again 0 rules dump "$TMP/dumped"
checks=$((checks + 1))
cmp -s "$TMP/dump.out" "$TMP/dump_again.out" || fail "dump is not a fixed point"
# Same canonical form, same rule set hash.
run hash_a 0 classify --rules "$FIX/good" x
run hash_b 0 classify --rules "$TMP/dumped" x
checks=$((checks + 1))
[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ruleset"])' "$TMP/hash_a.out")" = \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ruleset"])' "$TMP/hash_b.out")" ] ||
    fail "dumped rules hash differently"
run dump_bad 1 rules dump "$FIX/bad"

# --- classify: arguments ----------------------------------------------------

run cls_args 0 --rules "$FIX/good" classify "Du bist ein Idiot" "Guten Morgen" "So ein Mist, du Idiot"
json cls_args 'len(o) == 3 and [x["id"] for x in o] == [1, 2, 3]'
json cls_args 'set(o[0]) == {"id","flagged","categories","severity","action","review","matches","ruleset"}'
json cls_args 'o[0]["flagged"] is True and o[0]["categories"] == ["insult"] and o[0]["severity"] == 2'
json cls_args 'o[0]["action"] == "hide+review" and o[0]["review"] is False'
json cls_args 'o[0]["matches"] == [{"rule": "insult.idiot", "category": "insult", "clause": "Beleidigungen", "severity": 2, "start": 12, "end": 17, "text": "Idiot"}]'
json cls_args 'len(o[0]["ruleset"]) == 64 and all(c in "0123456789abcdef" for c in o[0]["ruleset"])'
json cls_args 'o[1]["flagged"] is False and o[1]["categories"] == [] and o[1]["severity"] == 0 and o[1]["action"] == "none" and o[1]["matches"] == []'
json cls_args 'o[2]["categories"] == ["insult", "vulgar"] and [m["rule"] for m in o[2]["matches"]] == ["vulgar.words", "insult.idiot"]'
json cls_args 'all(o[2]["matches"][i]["text"] == "So ein Mist, du Idiot".encode()[o[2]["matches"][i]["start"]:o[2]["matches"][i]["end"]].decode() for i in range(2))'

# Offsets are bytes in the original, even when normalizing moved things.
run cls_offsets 0 --rules "$FIX/good" classify "Ä I.d.i.o.t!" "Du blöde Kuh"
json cls_offsets 'o[0]["matches"][0]["text"] == "I.d.i.o.t" and o[0]["matches"][0]["start"] == 3'
json cls_offsets 'o[1]["matches"][0]["rule"] == "vulgar.words" and o[1]["matches"][0]["text"] == "blöde Kuh"'

# Scope: the dm-only rule fires only with --dm.
run cls_comment 0 --rules "$FIX/good" classify "Schick mir deine Nummer"
json cls_comment 'o[0]["flagged"] is False'
run cls_dm 0 --rules "$FIX/good" classify --dm "Schick mir deine Nummer"
json cls_dm 'o[0]["categories"] == ["provocation"] and o[0]["severity"] == 3 and o[0]["action"] == "review"'

# --explain goes to stderr; stdout stays the same JSON.
run cls_explain 0 --rules "$FIX/good" classify --explain "Du I-d-i-o-t"
json cls_explain 'len(o) == 1 and o[0]["flagged"] and "explain" not in o[0]'
has cls_explain err "explain 1:"
has cls_explain err "rule insult.idiot"
has cls_explain err "calls someone an idiot"
has cls_explain err "view norm:"
has cls_explain err "pattern 1"

# --- classify: stdin lines, hostile bytes -----------------------------------

python3 - "$TMP/lines.txt" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"Du Idiot\r\n")                  # 1 CRLF
    f.write(b"\n")                            # 2 empty: a verdict, not dropped
    f.write(b"Mist \xff\xfe\xc3 kaputt\n")    # 3 invalid UTF-8
    f.write(b"M\x00ist und Idiot\n")          # 4 NUL byte
    f.write(b"a" * (1 << 20) + b" Idiot\n")   # 5 a 1 MB line
    f.write(b"\xf0\x9d\x90\x88\xf0\x9d\x90\x9d\xf0\x9d\x90\xa2\xf0\x9d\x90\xa8\xf0\x9d\x90\xad\n")  # 6 bold
    f.write(b"x" * (9 << 20) + b"\n")         # 7 longer than the line limit
    f.write(b"letzte Zeile ohne Newline Idiot")  # 8
PY
run_in cls_lines 2 "$TMP/lines.txt" --rules "$FIX/good" classify
json cls_lines '[x["id"] for x in o] == list(range(1, 9))'
json cls_lines 'o[0]["flagged"] and o[0]["matches"][0]["end"] == 8'
json cls_lines 'o[1]["flagged"] is False and "error" not in o[1]'
json cls_lines 'o[2]["categories"] == ["vulgar"] and o[2]["matches"][0]["text"] == "Mist"'
json cls_lines '"insult" in o[3]["categories"]'
json cls_lines 'o[4]["review"] is True and "review_reason" in o[4]'
json cls_lines 'o[5]["flagged"] and o[5]["matches"][0]["start"] == 0 and o[5]["matches"][0]["end"] == 20'
json cls_lines 'o[6]["error"].startswith("line 7: ") and set(o[6]) == {"id", "error"}'
json cls_lines 'o[7]["flagged"]'
has cls_lines err "1 input line could not be read"

# --- classify: JSON lines ---------------------------------------------------

python3 - "$TMP/in.jsonl" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b'{"id": "c-1", "text": "Du Idiot"}\n')           # 1
    f.write(b'{"id": 42, "text": "Guten Tag"}\n')             # 2
    f.write(b'{"text": "ohne id, Mist"}\n')                   # 3
    f.write(b'this is not json\n')                            # 4
    f.write(b'\n')                                            # 5
    f.write(b'{"id": "x", "txt": "missing text"}\n')          # 6
    f.write(b'{"id": [1], "text": "bad id"}\n')               # 7
    f.write(b'{"id": "n", "text": 17}\n')                     # 8
    f.write(b'["an", "array"]\n')                             # 9
    f.write(b'{"id": "u", "text": "\xff\xfe"}\n')             # 10 invalid UTF-8
    f.write(b'{"id": "nul", "text": "Id\\u0000iot"}\n')       # 11
    f.write(b'{"id": "t", "text": "broken"\n')                # 12 truncated
    f.write(b'{"id": "last", "text": "Idiot", "extra": true}')  # 13
PY
run_in cls_jsonl 2 "$TMP/in.jsonl" --rules "$FIX/good" classify --jsonl
json cls_jsonl 'len(o) == 13'
json cls_jsonl '[x["id"] for x in o] == ["c-1", 42, 3, 4, 5, "x", 7, "n", 9, 10, "nul", 12, "last"]'
json cls_jsonl 'o[0]["flagged"] and not o[1]["flagged"] and o[2]["categories"] == ["vulgar"]'
json cls_jsonl 'all("error" in o[i] and "flagged" not in o[i] for i in (3, 4, 5, 6, 7, 8, 9, 11))'
json cls_jsonl 'all(o[i]["error"].startswith("line %d: " % (i + 1)) for i in (3, 4, 5, 6, 7, 8, 9, 11))'
json cls_jsonl '"invalid JSON" in o[3]["error"] and "text" in o[5]["error"] and "id" in o[6]["error"]'
json cls_jsonl '"flagged" in o[10] and o[12]["flagged"]'
has cls_jsonl err "8 input lines could not be read"

run cls_jsonl_args 64 --rules "$FIX/good" classify --jsonl "text"
run cls_badopt 64 classify --frob
run cls_norules 66 --rules "$TMP/nope" classify x
run cls_badrules 1 --rules "$FIX/bad" classify x
run cls_failing 1 --rules "$FIX/failing" classify x

printf '' >"$TMP/empty"
run_in cls_empty 0 "$TMP/empty" --rules "$FIX/good" classify
checks=$((checks + 1))
[ -s "$TMP/cls_empty.out" ] && fail "empty input gave output"

# --- eval -------------------------------------------------------------------

run ev_tsv 0 --rules "$FIX/good" eval "$FIX/eval/labelled.tsv"
has ev_tsv out "format:     tsv"
has ev_tsv out "TP 2  FP 1  FN 1  TN 2"
has ev_tsv out "precision:  0.6667"
has ev_tsv out "recall:     0.6667"
has ev_tsv out "F1:         0.6667"
has ev_tsv out "labelled.tsv:6 [vulgar.words] \"Mist, der Bus ist weg\""
has ev_tsv out "labelled.tsv:5 \"du Hund\""

run ev_germeval 0 --rules "$FIX/good" eval --show-fn 0 "$FIX/eval/germeval.tsv"
has ev_germeval out "format:     germeval"
has ev_germeval out "TP 1  FP 1  FN 1  TN 1"
has ev_germeval out "\"Mist\\nMist\""
hasnt ev_germeval out "Du Hund"

run ev_csv 2 --rules "$FIX/good" eval "$FIX/eval/gahd.csv"
has ev_csv out "format:     csv"
has ev_csv out "records:    4 (2 positive, 2 negative), 2 unreadable"
has ev_csv out "TP 2  FP 1  FN 0  TN 1"
has ev_csv out "gahd.csv:3 [insult.idiot] \"Er sagte: \\\"Idiot\\\" und ging\""
has ev_csv err "gahd.csv:7: label must be 0 or 1"
has ev_csv err "gahd.csv:8: unterminated quoted field"

run ev_forced 0 --rules "$FIX/good" eval --format tsv "$FIX/eval/labelled.tsv"
run ev_badfmt 64 eval --format xml "$FIX/eval/labelled.tsv"
run ev_nofile 66 --rules "$FIX/good" eval "$TMP/nope.tsv"
run ev_noarg 64 eval
printf 'just some text\nand more\n' >"$TMP/unknown.txt"
run ev_unknown 65 --rules "$FIX/good" eval "$TMP/unknown.txt"

# The development data sets, when present beside the project.
DATA=$SRC/../shared/data
if [ -r "$DATA/germeval2018-train.tsv" ]; then
	run ev_ge 0 --rules "$FIX/good" eval --show-fp 5 --show-fn 5 "$DATA/germeval2018-train.tsv"
	has ev_ge out "records:    5009 (1688 positive, 3321 negative), 0 unreadable"
fi
if [ -r "$DATA/gahd-train-dev.csv" ]; then
	run ev_gahd 0 --rules "$FIX/good" eval --show-fp 5 --show-fn 5 "$DATA/gahd-train-dev.csv"
	has ev_gahd out "records:    9350 (3974 positive, 5376 negative), 0 unreadable"
fi

echo "test_ctl: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
