#!/bin/sh
# Reproduce the "Calls with real audio" numbers of docs/performance.md (sections "Call rate" and
# "Concurrent bridged calls"). Needs root (sipp plays pcaps through a raw socket), sipp
# (sip-tester 3.6), tshark/dumpcap/editcap, and for --database postgresql the test suite's
# PostgreSQL (127.0.0.1:5432, user postgres, trust auth). Loopback only; every step is bounded
# in calls and time. Raw JSON lines go to stdout; work dirs (logs, stat CSVs, captures) are kept
# under ${OUT:-/tmp/centrex-callbench}.
set -eu
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/centrex-callbench}
PY=.venv/bin/python
DB=${DB:-postgresql}

# 1. Call rate: sipp UAC (a "carrier" on 127.0.0.50) -> Centrex -> sipp UAS (extension 100,
#    answer-only), 60 s per rate, 1 s calls, stop at the first rate with a failed call.
$PY bench/calls/call_bench.py rate --database "$DB" --rates 10 20 30 50 100 200 400 800 \
    --seconds 60 --call-ms 1000 --keep "$OUT/rate-$DB"

# 2. Concurrent bridged calls, PCMA both ways (UAC plays a DTMF-free pcap, UAS echoes):
#    N calls set up at 5 calls/s, all N held together for 30 s, loss/jitter from the capture.
$PY bench/calls/call_bench.py media --database "$DB" --calls 50 100 200 300 400 \
    --hold 30 --setup-rate 5 --keep "$OUT/media-$DB"
