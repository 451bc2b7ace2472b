#!/usr/bin/env bash
# Unpacks Debian 13's skopeo (1.18, sigstore enabled) with its own loader and libraries into DIR, without
# touching the machine's apt configuration, and writes DIR/skopeo, a wrapper that runs it.
# Debian 12's skopeo 1.9 has sigstore support removed, so signature interop tests need this build.
set -euo pipefail
dir=${1:?target folder}
[ -x "$dir/skopeo" ] && "$dir/skopeo" --version > /dev/null 2>&1 && exit 0
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
apt_dir="$dir/apt"; mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$dir/root"
# Same mirror as the machine's own sources; only the suite differs.
mirror=$( (grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'; grep -hsE '^deb ' /etc/apt/sources.list | awk '{print $2}') | grep -v security | head -n1 || true)
[ -n "$mirror" ] || { echo "cannot find the machine's Debian mirror in its apt sources" >&2; exit 1; }
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" > "$apt_dir/sources.list"
opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
      -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "APT::Sandbox::User=root")
apt-get "${opts[@]}" -qq update
(cd "$apt_dir/cache/archives" && apt-get "${opts[@]}" -qq download skopeo libc6 libgpgme11t64 libassuan9 libgpg-error0 libsqlite3-0)
for deb in "$apt_dir"/cache/archives/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
lib="$dir/root/usr/lib/x86_64-linux-gnu"
cat > "$dir/skopeo" <<WRAP
#!/bin/sh
exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib" "$dir/root/usr/bin/skopeo" "\$@"
WRAP
chmod +x "$dir/skopeo"
"$dir/skopeo" --version
