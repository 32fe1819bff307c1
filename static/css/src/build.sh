#!/bin/sh
# Rebuild static/css/portail.css (needs npm; run from anywhere). Nothing here is needed at run time.
set -e
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund govuk-frontend@6.6.0 sass >/dev/null
cp "$here/govuk-portail.scss" . && npx sass --no-source-map --no-charset --style=compressed --quiet --load-path=. govuk-portail.scss out.css
{ echo "/* Portail des subventions – GOV.UK Frontend 6.6.0 (MIT, see ../vendor/govuk-frontend/LICENCE.txt) re-branded,"
  echo "   built from css/src/govuk-portail.scss with dart-sass, followed by css/src/portail-extra.css. */"
  cat out.css; echo; cat "$here/portail-extra.css"; } > "$here/../portail.css"
rm -rf "$work"
