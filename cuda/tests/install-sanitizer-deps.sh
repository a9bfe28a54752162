#!/usr/bin/env bash
# The runtime libraries g++ 12's -fsanitize=address,undefined and -fsanitize=thread link against.
# For CI images that lack them (run as root): cuda/tests/install-sanitizer-deps.sh
set -euo pipefail
apt-get update
apt-get install -y g++ libasan8 libtsan2 libubsan1
