#!/bin/sh
# make_corpus.sh - (re)writes the seed corpora tests/fuzz/corpus/<target>/
# from the inputs the repository already has: the golden cases, the demo
# project, the loader fixture and the view-scanner data.  Run from the
# repository root after adding golden cases; review and commit the result.
#
#   corpus/project/    each models file alone, and each whole project as one
#                      multi-file input ("%%% path" headers, fuzz_project.c)
#   corpus/view_scan/  every view text in git (*.sql below a views/ directory
#                      and tests/data/view_scan|view_columns/*.sql)
# Seeds named hand__* are written by hand and kept.
# Files are named after the source path (slashes -> "__"); inputs larger than
# 64 KiB are skipped, and so are copies of an input already taken (the
# golden cases share their views).
set -eu
OUT=tests/fuzz/corpus
MAX=65536

name_of() { printf '%s' "$1" | sed 's#^\./##; s#/#__#g'; }
small() { [ "$(wc -c < "$1")" -le $MAX ]; }

# hand__* seeds are written by hand (inputs no repository file has): kept
mkdir -p "$OUT/project" "$OUT/view_scan"
find "$OUT/project" "$OUT/view_scan" -type f ! -name 'hand__*' -exec rm -f {} +

# models files alone
git ls-files -- '*.yml' '*.yaml' | grep -E '(^|/)models/' | grep -v '^bench/' |
while IFS= read -r f; do
	small "$f" && cp "$f" "$OUT/project/$(name_of "$f")"
done

# whole projects: every directory with a dla.yml (in git)
git ls-files -- 'dla.yml' '*/dla.yml' | grep -v '^bench/' | while IFS= read -r p; do
	dir=$(dirname "$p")
	out="$OUT/project/$(name_of "$dir").project"
	[ "$dir" = . ] && out="$OUT/project/demo.project"
	{
		printf '%%%%%% dla.yml\n'
		cat "$p"
		git ls-files -- "$dir/models" "$dir/views" | grep -E '\.(yml|yaml|sql)$' |
		grep -v '/\.' | while IFS= read -r f; do
			case $dir in
			.) rel=$f ;;
			*) rel=${f#"$dir"/} ;;
			esac
			case $rel in models/*|views/*) ;; *) continue ;; esac
			printf '%%%%%% %s\n' "$rel"
			cat "$f"
		done
	} > "$out"
	small "$out" || rm -f "$out"
done

# views
git ls-files -- '*.sql' | grep -E '(^|/)views/[^/]*\.sql$|^tests/data/view_(scan|columns)/' |
grep -v '^bench/' | while IFS= read -r f; do
	small "$f" && cp "$f" "$OUT/view_scan/$(name_of "$f")"
done
# drop duplicates (same content), keeping the first name in sort order
for d in "$OUT/project" "$OUT/view_scan"; do
	ls "$d" | while IFS= read -r f; do
		printf '%s %s\n' "$(cksum < "$d/$f" | tr ' ' '-')" "$f"
	done | sort -s -k1,1 | awk 'seen[$1]++ { print $2 }' | while IFS= read -r f; do
		rm -f "$d/$f"
	done
done
echo "corpus: $(ls "$OUT/project" | wc -l) project seeds, $(ls "$OUT/view_scan" | wc -l) view_scan seeds"
