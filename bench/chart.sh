#!/usr/bin/env bash
# Draws the headline comparison of a benchmark run as an SVG bar chart:
# for each scenario, server CPU per unit of work of our server divided by its
# anchor's (raw Asio, nginx-light...), measured in the same run. Lower is
# better; the line at 1.0 is "as cheap as the anchor".
#
#   bench/chart.sh DATA.tsv OUT.svg
#
# DATA.tsv: one row per scenario, tab-separated, no header:
#   label   our-cpu-per-unit   anchor-cpu-per-unit   anchor-name
# (any one unit per row: ns per line, ns per request, ns per MiB...).
# Needs gnuplot (Debian's gnuplot-nox); bench/run.sh installs it.
set -euo pipefail
data=$1
out=$2
rows=$(grep -c . "$data")
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
# label, ratio, "ratio text", anchor name; one row per bar, top to bottom.
awk -F'\t' 'NF >= 4 && $3 > 0 { printf "%s (vs %s)\t%.3f\t%.2f×\n", $1, $4, $2 / $3, $2 / $3 }' "$data" >"$tmp"
height=$((120 + 38 * rows))
gnuplot <<GP
set terminal svg size 900,${height} dynamic font "sans,12" background rgb "white"
set output "${out}"
set datafile separator "\t"
set title "Server CPU per unit of work ÷ its anchor's, measured in the same run (lower is better)"
set style fill solid 0.8 border -1
set boxwidth 0.6
set yrange [-0.6:${rows}-0.4]
set ytics nomirror
set xtics nomirror
set grid xtics
set xrange [0:*]
set xlabel "our CPU ÷ anchor CPU"
unset key
set offsets 0, 0.35, 0, 0
set arrow from 1, graph 0 to 1, graph 1 nohead dt 2 lw 2 lc rgb "#444444"
plot "${tmp}" using (\$2 * 0.5):(${rows} - 1 - \$0):(\$2 * 0.5):(0.3):(\$2 <= 1.0 ? 0x4a9a4a : 0xc0504d):ytic(1) \
       with boxxyerror lc rgb variable, \
     "" using (\$2):(${rows} - 1 - \$0):3 with labels left offset 0.5,0
GP
echo "wrote ${out}"
