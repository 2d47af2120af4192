#!/usr/bin/env bash
# Install the Debian packages the service needs, when they are missing; sourced by run.sh and
# .ci/run. Usage: source scripts/system-packages.sh [PACKAGE…]   (extra packages, e.g. chromium)
# Signed documents: WeasyPrint needs Pango; fonts-liberation2 (not fonts-liberation 1.07) has
# every Vietnamese letter in Liberation Serif, the PDFs' Times-metric font. WeasyPrint 70 warns
# (an error under the tests' warning filter) without HarfBuzz's subsetter, which it embeds
# fonts with.
_wanted=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 "$@")
# npm fetches the diagram viewer (bpmn-js); any npm will do, e.g. one from nodesource
command -v npm > /dev/null || _wanted+=(npm)
_missing=()
for _p in "${_wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$_p" 2>/dev/null | grep -q "install ok installed" || _missing+=("$_p")
done
if [ ${#_missing[@]} -gt 0 ]; then
  _sudo=""
  [ "$(id -u)" -eq 0 ] || _sudo="sudo"
  echo "installing Debian packages: ${_missing[*]}" >&2
  $_sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $_sudo apt-get install -y -qq "${_missing[@]}" > /dev/null
fi
unset _wanted _missing _p _sudo
