#!/usr/bin/env bash
# Real-stack benchmark: CPU per packet of a hand-written usb4java loop against a CE client driver on this
# library's usb4java backend, streaming the same packets, alternating, in one QEMU guest boot (iso OUT to
# QEMU's usb-audio on the guest's xHCI and UHCI, iso IN from the USB/IP loopback device). Run by hand;
# the build never runs it. Needs what the real-kernel stage needs (see the README): qemu-system-x86,
# linux-image-amd64, busybox-static, usbip, udev, cpio, kmod.
#
#   benchmarks/real-stack.sh                     3 rounds (+1 warm-up) of 2000 packets per run
#   ROUNDS=5 PACKETS=4000 benchmarks/real-stack.sh
#   WARMUPS=3 benchmarks/real-stack.sh           3 warm-up rounds (not counted) instead of 1
#   JFR=1 benchmarks/real-stack.sh               record each counted run with JDK Flight Recorder
#   PERF=1 benchmarks/real-stack.sh              profile each counted run with the host's perf, in the guest
#                                                (<path>-<kind>-<round>.perf.txt: by thread, library, symbol)
#   INLINE=1 benchmarks/real-stack.sh            add a CE run whose callbacks run on the event thread
#   ICOUNT=0 benchmarks/real-stack.sh            count instructions instead of time (QEMU -icount shift=0:
#                                                1 ns of guest time per instruction; one guest CPU, TSC
#                                                clock): the same figures whatever the host's load
#   CPUS=1 benchmarks/real-stack.sh              one guest CPU on one QEMU thread (default 2, multi-threaded TCG)
#   CPUS=1 GUEST_JVM_ARGS='-XX:TieredStopAtLevel=4' WARMUPS=3 benchmarks/real-stack.sh
#                                                the JVM's default compilers, as users run it (C2 replacing
#                                                code that another guest CPU runs has crashed the guest JVM
#                                                under multi-threaded TCG: use one CPU or ICOUNT)
#
# Prints one line per run and the CE/raw ratio per pair with its median; exit code 0 only when every
# packet of every run was delivered and both usb-audio captures are bit-exact. The guest's files (console,
# results, captures, JFR recordings, perf reports) stay in usbd-impl/target/realkernel/RealStackBench/.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
cpfile="$root/usbd-impl/target/real-stack.classpath"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  ./mvnw -B -q test-compile dependency:build-classpath -pl usbd-impl -am \
    -Dmdep.includeScope=test -Dmdep.outputFile="$cpfile" >&2
fi
cp="$root/usbd-impl/target/test-classes:$root/usbd-impl/target/classes:$(cat "$cpfile")"

exec "${JAVA:-java}" -Dbasedir="$root/usbd-impl" \
  -Drounds="${ROUNDS:-3}" -DwarmUps="${WARMUPS:-1}" -Dpackets="${PACKETS:-2000}" -Djfr="$([[ "${JFR:-0}" == 1 ]] && echo true || echo false)" \
  -Dperf="$([[ "${PERF:-0}" == 1 ]] && echo true || echo false)" -Dicount="${ICOUNT:--1}" -Dcpus="${CPUS:-2}" \
  -Dinline="$([[ "${INLINE:-0}" == 1 ]] && echo true || echo false)" -DguestJvmArgs="${GUEST_JVM_ARGS:-}" \
  -cp "$cp" io.github.usbd4j.realkernel.RealStackBench
