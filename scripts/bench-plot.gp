# scripts/bench-plot.gp: the PNG of a scripts/bench result.
#
#   gnuplot -e "data='F.dat'; out='F.png'; ttl='title'; sub='subtitle'" \
#       scripts/bench-plot.gp
#
# data: one line per kttcp mode or peer, as scripts/bench writes it:
#   "label" gbps_median gbps_min gbps_max sd_median sd_min sd_max colour \
#       proc_sd_median
# colour: 1 copy send, 2 sendpage, 3 zerocopy, 4 a userland peer.
# Two panels: throughput (Gbit/s) and service demand (CPU us per MB),
# bars at the median, whiskers from min to max, the median printed on top;
# in the second, a narrow dark bar inside each is the processes' own
# service demand (getrusage / the peers' own CPU figures).

set terminal pngcairo size 1400,900 font "DejaVu Sans,11" noenhanced
set output out
set encoding utf8

set style fill solid 0.85 border -1
set boxwidth 0.7
set grid ytics lc rgb "#dddddd"
set xtics rotate by -35 left nomirror font ",10"
set ytics nomirror
set key top right horizontal font ",10" samplen 1.5
set linetype 1 lc rgb "#d95f02"
set linetype 2 lc rgb "#1b9e77"
set linetype 3 lc rgb "#7570b3"
set linetype 4 lc rgb "#888888"

stats data using 4 nooutput
gmax = STATS_max
stats data using 7 nooutput
smax = STATS_max

set multiplot layout 2,1 title ttl."\n".sub font ",13"

set ylabel "throughput, Gbit/s (higher is better)"
set yrange [0:gmax * 1.3]
set xrange [-0.6:*]
set bmargin 6
plot data using 0:2:8:xtic(1) with boxes lc variable notitle, \
     data using 0:2:3:4 with yerrorbars lc rgb "black" pt 0 ps 0 lw 1.2 \
          notitle, \
     data using 0:($4 + gmax * 0.02):(sprintf("%.2f", $2)) with labels \
          font ",10" offset 0,0.4 notitle, \
     keyentry with boxes lt 1 title "kttcp copy send", \
     keyentry with boxes lt 2 title "kttcp sendpage", \
     keyentry with boxes lt 3 title "kttcp zerocopy", \
     keyentry with boxes lt 4 title "userland peer"

set ylabel "service demand, CPU us per MB (lower is better)"
set yrange [0:smax * 1.3]
plot data using 0:5:8:xtic(1) with boxes lc variable notitle, \
     data using 0:9:(0.22) with boxes fill solid 0.9 lc rgb "#303030" \
          title "the processes' own CPU (getrusage, tools' own figures)", \
     data using 0:5:6:7 with yerrorbars lc rgb "black" pt 0 ps 0 lw 1.2 \
          notitle, \
     data using 0:($7 + smax * 0.02):(sprintf("%.0f", $5)) with labels \
          font ",10" offset 0,0.4 notitle

unset multiplot
