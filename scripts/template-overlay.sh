#!/usr/bin/env bash
# Prints the path of a `go build -overlay` file that gives the release build
# a text/template whose field lookup calls methods of a fixed list of names
# only. Used by scripts/build.sh; `go test -overlay "$(scripts/template-overlay.sh)"`
# tests what ships.
#
# Why: text/template looks methods up with reflect.Value.MethodByName(name)
# for a name known only at run time. When the linker sees such a call it
# must keep every exported method of every type that is ever stored in an
# interface: 1.03 MB of the binary (10.63 -> 9.60 MB, measured with Go
# 1.26.8). Both urfave/cli's help and initbox render execute templates, so
# neither alone can avoid it. With MethodByName("VisibleFlags") and other
# constant names the linker keeps methods of those names only.
#
# What it costs: a template can call only the methods named below. urfave/cli's
# help templates (template.go, fish.go) call these. render is unaffected: it
# rewrites every field access (.a.b, $x.a, (pipe).a) into a call of its own
# lookup (render/rewrite.go, get.go), which calls no methods. Fields and map
# keys are looked up as before. If urfave/cli's templates
# name a new method, urfave/cli stops printing the help there, silently:
# TestHelpIsWhole (internal/cli), which scripts/test.sh runs with this
# overlay, fails then.
set -euo pipefail
names=(AllCommands Args ArgsUsage Authors Category Commands Completions Copyright
  Description Flags GlobalArgs HelpName Name Names String Usage UsageText Version
  VisibleCategories VisibleCommands VisibleFlagCategories VisibleFlags)

src="$(go env GOROOT)/src/text/template/exec.go"
dir="${TMPDIR:-/tmp}/initbox-overlay-$(go env GOVERSION)-$(id -u)"
call='ptr.MethodByName(fieldName)'
if [ "$(grep -cF "$call" "$src")" != 1 ]; then
  echo "template-overlay: $src has not exactly one $call; update scripts/template-overlay.sh for this Go" >&2
  exit 1
fi
mkdir -p "$dir"
# Unique temporary names and mv: parallel builds may run this at once.
tmp=$(mktemp "$dir/exec.go.XXXXXX")
{
  sed "s/ptr\.MethodByName(fieldName)/initboxMethod(ptr, fieldName)/" "$src"
  echo
  echo "// initboxMethod is MethodByName for constant names: see initbox's scripts/template-overlay.sh."
  echo "func initboxMethod(v reflect.Value, name string) reflect.Value {"
  echo "	switch name {"
  for n in "${names[@]}"; do
    printf '\tcase "%s":\n\t\treturn v.MethodByName("%s")\n' "$n" "$n"
  done
  echo "	}"
  echo "	return reflect.Value{}"
  echo "}"
} >"$tmp"
mv "$tmp" "$dir/exec.go"
tmp=$(mktemp "$dir/overlay.json.XXXXXX")
printf '{"Replace": {"%s": "%s"}}\n' "$src" "$dir/exec.go" >"$tmp"
mv "$tmp" "$dir/overlay.json"
echo "$dir/overlay.json"
