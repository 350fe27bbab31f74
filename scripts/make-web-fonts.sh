#!/usr/bin/env bash
# Regenerates the dashboard's web fonts (web/src/assets/fonts/web/*.woff2) from the bundled Noto TTFs: WOFF2 subsets
# that cover the characters the dashboard shows, so a first page load stays small. The TTFs themselves stay for the
# server's PNG exports. Needs Debian's python3-fonttools and python3-brotli; run it only after changing the fonts.
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

src=web/src/assets/fonts
out="$src/web"
mkdir -p "$out"

# Latin-1 and Latin Extended-A, combining marks, Δ Σ µ, general punctuation, currency, letterlike symbols, arrows,
# mathematical operators, geometric shapes and the check mark.
latin='U+0000-017F,U+0300-036F,U+0394,U+03A3,U+03BC,U+2000-206F,U+20A0-20CF,U+2100-2122,U+2190-21FF,U+2200-22FF,U+25A0-25FF,U+2713'
# Arabic, Arabic Supplement, Extended-A, presentation forms, and the joiners and direction marks.
arabic='U+0600-06FF,U+0750-077F,U+08A0-08FF,U+FB50-FDFF,U+FE70-FEFF,U+200C-200F'

subset() {
  /usr/bin/python3 -m fontTools.subset "$src/$1.ttf" --unicodes="$2" --flavor=woff2 --output-file="$out/$1.woff2"
}

subset NotoSans-Regular "$latin"
subset NotoSans-Bold "$latin"
subset NotoNaskhArabic-Regular "$arabic"
subset NotoNaskhArabic-Bold "$arabic"
ls -l "$out"
