# Shared by the project's scripts: where things live, and how the Pulumi CLI is
# found or built. Source it; it defines variables and functions only.

# module_version GO_MOD MODULE: the version of MODULE that GO_MOD requires.
module_version() {
    awk -v m="$2" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"
}

# The binaries are built from wrapper Go modules under tools/, whose go.mod
# files pin their versions; the oldest CLI accepted from PATH.
PULUMI_VERSION="$(module_version "$ROOT/tools/pulumi-cli/go.mod" github.com/pulumi/pulumi/pkg/v3)"
LANGUAGE_HOST_VERSION="$(module_version "$ROOT/tools/pulumi-language-python/go.mod" github.com/pulumi/pulumi/sdk/v3)"
PULUMI_MIN_VERSION="3.274.0"
CLI_PACKAGE="github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
LANGUAGE_HOST_PACKAGE="github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python"

VENV="$ROOT/.venv"
# The installer of the venv's packages, and the venv's pip, pinned with them.
UV_VERSION="$(awk -F'==' '$1 == "uv" { print $2 }' "$ROOT/constraints.txt")"
PIP_VERSION="$(awk -F'==' '$1 == "pip" { print $2 }' "$ROOT/constraints.txt")"
CACHE_DIR="${CCPROVIDER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ccprovider}"
PULUMI_BUILD_DIR="$CACHE_DIR/pulumi-$PULUMI_VERSION-python-$LANGUAGE_HOST_VERSION"
CLI_MODULE="$ROOT/tools/pulumi-cli"
LANGUAGE_HOST_MODULE="$ROOT/tools/pulumi-language-python"

die() {
    echo "error: $*" >&2
    exit 1
}

# apt_install PACKAGE WHY: install a Debian package (as root), refreshing the package
# lists once if the first try fails; false when it cannot (not root, no apt-get).
apt_install() {
    [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null || return 1
    echo "installing Debian's $1 for $2" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >/dev/null \
        || { DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null \
             && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >/dev/null; }
}

# version_at_least HAVE WANT: true when dotted version HAVE >= WANT.
version_at_least() {
    [[ "$(printf '%s\n%s\n' "${2#v}" "${1#v}" | sort -V | head -n1)" == "${2#v}" ]]
}

# Print the directory of the `pulumi` to use, or nothing when none is usable:
# a recent enough CLI on PATH wins, then a finished build in the cache.
resolve_pulumi_dir() {
    local on_path have
    on_path="$(command -v pulumi 2>/dev/null || true)"
    if [[ -n "$on_path" ]]; then
        have="$("$on_path" version 2>/dev/null || true)"
        if [[ -n "$have" ]] && version_at_least "$have" "$PULUMI_MIN_VERSION"; then
            dirname "$on_path"
            return
        fi
    fi
    if [[ -x "$PULUMI_BUILD_DIR/pulumi" ]]; then
        echo "$PULUMI_BUILD_DIR"
    fi
}

# Run a long command, printing a heartbeat so that a slow build shows progress.
with_heartbeat() {
    local label="$1" start=$SECONDS pid
    shift
    "$@" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 15
        if kill -0 "$pid" 2>/dev/null; then
            echo "bootstrap:   $label: still building ($((SECONDS - start)) s)" >&2
        fi
    done
    wait "$pid"
}

# release_build MODULE OUTPUT PACKAGE VERSION: build PACKAGE as Pulumi's releases do.
release_build() {
    CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -C "$1" -trimpath -tags osusergo,grpcnotrace \
        -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$4" \
        -o "$2" "$3"
}

# Build the CLI and the Python language host from Go modules into the cache.
# Builds into a temporary directory and moves it into place when complete,
# so an interrupted build never leaves a half-built CLI behind.
build_pulumi() {
    command -v go >/dev/null || die "no Pulumi CLI >= $PULUMI_MIN_VERSION on PATH and no Go toolchain \
to build one. Install Pulumi (https://www.pulumi.com/docs/install/) or Go >= 1.26.6, then rerun scripts/bootstrap."
    local go_have
    go_have="$(go env GOVERSION)"
    version_at_least "${go_have#go}" "1.26.6" \
        || die "building Pulumi needs Go >= 1.26.6, found $go_have; install a newer Go or a Pulumi CLI >= $PULUMI_MIN_VERSION"

    mkdir -p "$CACHE_DIR"
    local tmp start=$SECONDS
    tmp="$(mktemp -d "$CACHE_DIR/.pulumi-build.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    echo "bootstrap: building Pulumi $PULUMI_VERSION from Go modules into $PULUMI_BUILD_DIR" >&2
    echo "bootstrap: (first build on a machine takes several minutes; later runs reuse it)" >&2

    echo "bootstrap: [1/3] pulumi CLI" >&2
    with_heartbeat "pulumi CLI" release_build "$CLI_MODULE" "$tmp/pulumi" "$CLI_PACKAGE" "$PULUMI_VERSION"
    echo "bootstrap: [2/3] Python language host" >&2
    with_heartbeat "language host" release_build "$LANGUAGE_HOST_MODULE" \
        "$tmp/pulumi-language-python" "$LANGUAGE_HOST_PACKAGE" "$LANGUAGE_HOST_VERSION"

    echo "bootstrap: [3/3] helper scripts" >&2
    local sdk_dir
    sdk_dir="$(go list -C "$CLI_MODULE" -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
    install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$tmp/"
    install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$tmp/"

    "$tmp/pulumi" version >/dev/null || die "the freshly built pulumi does not run"
    rm -rf "$PULUMI_BUILD_DIR"
    mv "$tmp" "$PULUMI_BUILD_DIR"
    trap - EXIT
    echo "bootstrap: built Pulumi $PULUMI_VERSION in $((SECONDS - start)) s" >&2
}

# The passphrase of the committed local stacks (dev, staging, prod against the
# embedded backend). It protects nothing: stacks holding real secrets set their
# own PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE.
LOCAL_STACKS_PASSPHRASE="ccprovider-local"
