#!/usr/bin/env bash
# Prepares the GPU check's carry (run HERE, on the build machine; the GPU machine has no JDK,
# no Maven and no network): builds the project, then packs into gpu-carry/gpu-carry.tar.gz
#   jre/            a jlink'd Java runtime with only the modules the jars need (no java.desktop)
#   lib/            the engine's jars and the few runtime libraries the GPU path uses
#                   (no ND4J, no XChart, no JMH), plus the JUnit console launcher
#   test-classes/   cuda-kernels' compiled tests (the @Tag("gpu") ones run on the GPU)
#   pytorch_peer.py the PyTorch peer
# and checks the archive is under the device machine's 64 MiB carry limit.
# Then, on the GPU machine (the device tool's `run`, with carry ["gpu-carry"]):
#   bash cuda-kernels/gpu-check/run-on-gpu.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
junit_console=org.junit.platform:junit-platform-console-standalone:1.14.1
limit_mib=64
cd "$root"

echo "prepare: building (mvn install -DskipTests) ..." >&2
mvn -q -B install -DskipTests

carry=$root/gpu-carry
stage=$carry/stage
rm -rf "$carry"
mkdir -p "$stage/lib" "$stage/test-classes"

# The JUnit console launcher: from the local repository (download it once with
#   mvn dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:1.14.1
# outside offline mode if this fails).
mvn -q -B dependency:copy -Dartifact=$junit_console -DoutputDirectory="$stage/lib" \
    -Dmdep.stripVersion=true
mv "$stage/lib/junit-platform-console-standalone.jar" "$stage/junit-console.jar"

# Runtime classpath of the timing main (benchmarks) and test classpath of cuda-kernels, keeping
# only what the GPU path loads: our modules and their small libraries. ND4J, XChart, JMH and
# JUnit (the console launcher has its own) stay behind.
keep='/(core|autograd|layer-ensembles|cuda-kernels|benchmarks)-[0-9][^/]*\.jar$|/(jackson-[a-z]+|picocli|joml|commons-math3)-[^/]*\.jar$'
cp_files=$(mktemp)
mvn -q -B dependency:build-classpath -pl benchmarks -Dmdep.includeScope=runtime -Dmdep.outputFile="$cp_files.1"
mvn -q -B dependency:build-classpath -pl cuda-kernels -Dmdep.includeScope=test -Dmdep.outputFile="$cp_files.2"
{ tr ":" "\n" < "$cp_files.1"; echo; tr ":" "\n" < "$cp_files.2"; echo; echo "$root/benchmarks/target/benchmarks-0.1.0-SNAPSHOT.jar"; } \
    | grep -E "$keep" | sort -u > "$cp_files"
while read -r jar; do cp "$jar" "$stage/lib/"; done < "$cp_files"
rm -f "$cp_files" "$cp_files.1" "$cp_files.2"
cp -r "$root/cuda-kernels/target/test-classes" "$stage/test-classes/cuda-kernels"
cp "$here/pytorch_peer.py" "$stage/"

# The smallest runtime: the modules jdeps finds in the jars, plus the Vector API (used through
# --add-modules) and jdk.unsupported, without java.desktop: only PNG reading and the report
# figures use it (printed below), and the GPU path loads neither.
jars=("$stage"/lib/*.jar "$stage/junit-console.jar")
found=$("$JAVA_HOME/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 \
    "${jars[@]}" "$stage/test-classes/cuda-kernels" 2>/dev/null)
modules=$(tr ',' '\n' <<< "$found,jdk.incubator.vector,jdk.unsupported" | grep -vx java.desktop | sort -u | paste -sd,)
desktop_users=$("$JAVA_HOME/bin/jdeps" -verbose:class --ignore-missing-deps --multi-release 25 "${jars[@]}" 2>/dev/null \
    | awk '$2 == "->" && $NF == "java.desktop" {print $1}' | sort -u | paste -sd' ')
echo "prepare: left out java.desktop, which only these classes use: ${desktop_users:-none}" >&2
echo "prepare: jlink modules: $modules" >&2
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
    --compress=zip-9 --output "$stage/jre"

tar -C "$stage" -czf "$carry/gpu-carry.tar.gz" .
rm -rf "$stage"
bytes=$(stat -c %s "$carry/gpu-carry.tar.gz")
tree_bytes=$(git ls-files -z | xargs -0 stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
awk -v a="$bytes" -v t="$tree_bytes" -v l="$limit_mib" 'BEGIN {
    printf "prepare: gpu-carry/gpu-carry.tar.gz is %.1f MiB; the tracked tree adds %.1f MiB (limit %d MiB in all)\n",
        a / 1048576, t / 1048576, l }'
if (( bytes + tree_bytes >= limit_mib * 1048576 )); then
    echo "prepare: too big for the device machine's carry limit" >&2
    exit 1
fi
