#!/usr/bin/env bash
# Install the Debian packages the corpus is built from (see sources.py), plus python3-regex for the
# tokenizer and libopenblas0-pthread for fast CPU training. Needs root and `apt-get update` done once.
set -euo pipefail
cd "$(dirname "$0")"
PKGS=$(/usr/bin/python3 -c 'import sources; print(" ".join(sources.all_packages()))')
apt-get install -y --no-install-recommends python3-torch python3-numpy python3-regex libopenblas0-pthread $PKGS
