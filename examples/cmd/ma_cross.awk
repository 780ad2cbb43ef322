# examples/cmd/ma_cross.awk - an independent computation of the ma_cross
# backtest (definitions in tools/backtest.c), written plainly: moving
# averages summed afresh each day, two-pass mean and variance, drawdown
# from the running peak, trades walked one by one.
#
#   awk -F, -v col=DAX -v fast=5 -v slow=20 -v cost_bps=0 -f ma_cross.awk FILE
#
# prints: sharpe total_return ann_volatility sortino max_drawdown trades win_rate
#         calmar profit_factor avg_trade_return   (profit_factor "nan" when
#         no trade lost)
NR == 1 {
	for (i = 1; i <= NF; i++) { h = $i; gsub(/"/, "", h); if (h == col) c = i }
	next
}
{ p[n++] = $c + 0 }
END {
	cost = cost_bps / 10000
	prev = 0; m = 0; trades = 0; wins = 0; growth = 1
	eqr = 1; entry = 1; gp = 0; gl = 0; tsum = 0
	for (t = slow - 1; t <= n - 2; t++) {
		fs = 0; for (k = t - fast + 1; k <= t; k++) fs += p[k]
		ss = 0; for (k = t - slow + 1; k <= t; k++) ss += p[k]
		pos = (fs / fast > ss / slow) ? 1 : 0
		change = pos - prev; if (change < 0) change = -change
		r = pos * (p[t + 1] / p[t] - 1) - cost * change
		if (pos == 1 && prev == 0) { trades++; growth = 1; entry = eqr }
		if (pos == 1 || prev == 1) growth *= 1 + r
		if (pos == 0 && prev == 1) closed()
		R[m++] = r
		eqr *= 1 + r
		prev = pos
	}
	if (prev == 1) closed()
	sum = 0; for (i = 0; i < m; i++) sum += R[i]
	mean = sum / m
	ss = 0; down = 0
	for (i = 0; i < m; i++) {
		ss += (R[i] - mean) ^ 2
		if (R[i] < 0) down += R[i] ^ 2
	}
	sd = sqrt(ss / (m - 1))
	dd = sqrt(down / m)
	eq = 1; peak = 1; mdd = 0
	for (i = 0; i < m; i++) {
		eq *= 1 + R[i]
		if (eq > peak) peak = eq
		if (1 - eq / peak > mdd) mdd = 1 - eq / peak
	}
	annual = eq ^ (252 / m) - 1
	printf "%.17g %.17g %.17g %.17g %.17g %d %.17g %.17g %s %.17g\n", \
		(sd > 0 ? mean / sd * sqrt(252) : 0), eq - 1, sd * sqrt(252), \
		(dd > 0 ? mean / dd * sqrt(252) : 0), mdd, trades, \
		(trades > 0 ? wins / trades : 0), (mdd > 0 ? annual / mdd : 0), \
		(gl > 0 ? sprintf("%.17g", gp / gl) : "nan"), \
		(trades > 0 ? tsum / trades : 0)
}
# A trade ended: a win when it grew; its profit or loss in equity.
function closed(  pnl) {
	if (growth > 1) wins++
	pnl = entry * (growth - 1)
	if (pnl > 0) gp += pnl; else gl -= pnl
	tsum += growth - 1
}
