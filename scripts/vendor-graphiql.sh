#!/usr/bin/env bash
# Re-downloads the GraphiQL assets pinned in crates/server/assets/vendor/VENDOR.md
# with `npm pack`, checks them against the SHA-256 sums listed there and copies
# them into place. With --check, only compares; nothing is written.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vendor_dir="$repo_root/crates/server/assets/vendor"
manifest="$vendor_dir/VENDOR.md"

check_only=false
case "${1:-}" in
  "") ;;
  --check) check_only=true ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

for tool in npm tar sha256sum; do
  command -v "$tool" >/dev/null || { echo "error: $tool is required" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Table rows: | `file` | `package` | version | `path in package` | license | `sha256` |
rows="$(grep -E '^\| `[^`]+` \|' "$manifest" | tr -d '`' | awk -F'|' '{
  for (i = 2; i <= 7; i++) gsub(/^ +| +$/, "", $i)
  print $2, $3, $4, $5, $7
}')"
if [[ -z "$rows" ]]; then
  echo "error: no file rows found in $manifest" >&2
  exit 1
fi

failed=false
declare -a copies=()
while read -r file package version path expected; do
  unpacked="$work/$package-$version"
  if [[ ! -d "$unpacked" ]]; then
    mkdir -p "$unpacked"
    (cd "$unpacked" && npm pack --silent "$package@$version" >/dev/null)
    tar -xzf "$unpacked"/*.tgz -C "$unpacked"
  fi
  source="$unpacked/package/$path"
  if [[ ! -f "$source" ]]; then
    echo "MISSING   $package@$version has no $path" >&2
    failed=true
    continue
  fi
  actual="$(sha256sum "$source" | cut -d' ' -f1)"
  if [[ "$actual" == "$expected" ]]; then
    echo "ok        $actual  $file ($package@$version)"
  else
    echo "MISMATCH  $actual  $file ($package@$version); VENDOR.md lists $expected" >&2
    failed=true
  fi
  if [[ -f "$vendor_dir/$file" ]] && [[ "$(sha256sum "$vendor_dir/$file" | cut -d' ' -f1)" == "$expected" ]]; then
    :
  elif $check_only; then
    echo "STALE     $vendor_dir/$file does not match VENDOR.md" >&2
    failed=true
  fi
  copies+=("$source" "$vendor_dir/$file")
done <<< "$rows"

if $failed; then
  $check_only || echo "Nothing copied." >&2
  echo "If a version was changed on purpose, review the sums above and record them in VENDOR.md." >&2
  exit 1
fi

if ! $check_only; then
  for ((i = 0; i < ${#copies[@]}; i += 2)); do
    cp "${copies[i]}" "${copies[i + 1]}"
  done
  echo "Copied $((${#copies[@]} / 2)) file(s) into $vendor_dir."
fi
