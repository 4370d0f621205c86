#!/bin/sh
# Fetches Debian's kernel (the package linux-image-amd64 depends on, 6.1 on
# bookworm) and busybox-static with `apt-get download` into DIR, extracts
# them there with dpkg-deb -x (nothing is installed on the host), and copies
# DIR/vmlinuz and DIR/busybox out of the packages.
# usage: fetch_debian.sh DIR
set -eu
dir=$1
mkdir -p "$dir/debs" "$dir/root"
cd "$dir/debs"
kernel=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [ -z "$kernel" ]; then
  echo "fetch_debian.sh: apt-cache knows no linux-image-amd64 (run apt-get update)" >&2
  exit 1
fi
rm -f ./*.deb
apt-get download "$kernel" busybox-static
for deb in ./*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
cp "$dir"/root/boot/vmlinuz-* "$dir/vmlinuz"
cp "$dir/root/bin/busybox" "$dir/busybox"
echo "$kernel" > "$dir/kernel-package.txt"
rm -rf "$dir/root" "$dir/debs"  # the kernel modules are not needed
