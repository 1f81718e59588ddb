#!/usr/bin/env bash
# Regenerates backend/data/common-passwords.txt, the list of commonly used passwords the API refuses
# (embedded in the binary with include_str!, never fetched at run time).
#
# Source: the "passwords-common" dictionary of the npm package @zxcvbn-ts/language-common (MIT licence,
# the same list the web app's strength meter uses; it is zxcvbn's password frequency list, most common
# first). Kept: entries of 8..=100 characters (shorter ones are refused by the length rule already),
# lower-cased, de-duplicated, sorted (the API looks them up by binary search).
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=frontend/node_modules/@zxcvbn-ts/language-common
[ -f "$pkg/src/passwords.json" ] || bash frontend/scripts/ensure-deps.sh
version=$(node -p "require('./$pkg/package.json').version")
node -e '
const list = require(process.argv[1]);
const kept = [...new Set(list.map((p) => p.toLowerCase()).filter((p) => [...p].length >= 8 && [...p].length <= 100))];
kept.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
process.stdout.write(kept.join("\n") + "\n");
' "./$pkg/src/passwords.json" > backend/data/common-passwords.txt
echo "backend/data/common-passwords.txt: $(wc -l < backend/data/common-passwords.txt) entries from @zxcvbn-ts/language-common $version"
