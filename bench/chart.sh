#!/usr/bin/env bash
# Draws the headline comparison of a benchmark run as an SVG bar chart:
# for each scenario, server CPU per unit of work of our server divided by its
# anchor's (raw Asio, nginx-light...), measured in the same run. Lower is
# better; the line at 1.0 is "as cheap as the anchor".
#
#   bench/chart.sh DATA.tsv OUT.svg
#
# DATA.tsv: one row per scenario, tab-separated, no header:
#   label   our-cpu-per-unit   anchor-cpu-per-unit   anchor-name   [goal]
# (any one unit per row: ns per line, ns per request, ms per download...).
# A bar is green when the ratio is at or under the row's goal (default 1.0:
# as cheap as the anchor), red otherwise; the goal is printed beside it. A
# goal of "-" means none (the row is context, say a goal set on another
# figure): a grey bar and no goal printed.
# Needs gnuplot (Debian's gnuplot-nox); bench/run.sh installs it.
set -euo pipefail
data=$1
out=$2
rows=$(grep -c . "$data")
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
# label, ratio, "ratio text", anchor name; one row per bar, top to bottom.
awk -F'\t' 'NF >= 4 && $3 > 0 {
  if (NF >= 5 && $5 == "-") { printf "%s (vs %s)\t%.3f\t%.2f×\t-1\n", $1, $4, $2 / $3, $2 / $3; next }
  g = (NF >= 5 && $5 > 0) ? $5 : 1.0
  printf "%s (vs %s)\t%.3f\t%.2f× (goal ≤ %.1f×)\t%.3f\n", $1, $4, $2 / $3, $2 / $3, g, g }' "$data" >"$tmp"
height=$((120 + 38 * rows))
xmax=$(awk -F'\t' '$2 > m { m = $2 } END { print (m > 1 ? m : 1) * 1.8 }' "$tmp")
gnuplot <<GP
set terminal svg size 1000,${height} dynamic font "sans,12" background rgb "white"
set termoption noenhanced
set output "${out}"
set datafile separator "\t"
set label 1 "Server CPU per unit of work ÷ its anchor's, measured in one run (lower is better)" at screen 0.5, screen 0.97 center
set style fill solid 0.8 border -1
set boxwidth 0.6
set yrange [-0.6:${rows}-0.4]
set ytics nomirror
set xtics nomirror
set grid xtics
set xrange [0:${xmax}]
set tmargin 3
set xlabel "our CPU ÷ anchor CPU"
unset key
set arrow from 1, graph 0 to 1, graph 1 nohead dt 2 lw 2 lc rgb "#444444"
plot "${tmp}" using (\$2 * 0.5):(${rows} - 1 - \$0):(\$2 * 0.5):(0.3):(\$4 < 0 ? 0x999999 : \$2 <= \$4 ? 0x4a9a4a : 0xc0504d):ytic(1) \
       with boxxyerror lc rgb variable, \
     "" using (\$2):(${rows} - 1 - \$0):3 with labels left offset 0.5,0
GP
echo "wrote ${out}"
