// examples/backtester/backtester.cpp - what the engine was designed for: an
// event-driven backtester that, every REOPT bars, re-optimises its
// strategy's parameters over the last LOOKBACK bars (walk-forward) by
// running a parameter sweep from inside its own event loop, through the
// streaming submit/poll API, then trades the next bars with the winner.
//
// The strategy is a long/flat moving-average crossover on one column of a
// CSV of closes.  The objective reads the price history the backtester
// holds: worker processes see it as it was when the engine opened (it is
// all loaded by then), worker threads see the live vector -- the same
// numbers either way, so both modes must choose the same parameters, and
// the program says so (exit status 1 if they differ).  It prints what the
// engine costs per evaluation against what the evaluations cost:
//   overhead per task = (wall time of the sweeps x workers - evaluation
//                        time) / evaluations
// (the definition `ringsweep bench scaling` uses).
//
//   backtester CSV[:COLUMN] [workers]      (default column: the first)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <ringsweep/ringsweep.h>

namespace {

constexpr int LOOKBACK = 500; // bars a re-optimisation looks at
constexpr int REOPT = 100;    // bars traded between re-optimisations
constexpr int FIRST = LOOKBACK + 200; // the first bar traded (the longest
				      // slow average fits before the lookback)

struct Market {
	std::vector<double> close;
};

// Annualised Sharpe ratio of "long when fast MA > slow MA, else flat" over
// bars [from, to): the backtest of one parameter set, as a worker runs it.
double crossover_sharpe(const std::vector<double> &c, int fast, int slow, int from,
			int to)
{
	double fast_sum = 0, slow_sum = 0, sum = 0, sum2 = 0;
	int days = 0;

	for (int d = from - slow; d < to - 1; d++) {
		fast_sum += c[d] - (d - fast >= from - slow ? c[d - fast] : 0);
		slow_sum += c[d] - (d - slow >= from - slow ? c[d - slow] : 0);
		if (d < from)
			continue;
		double r = fast_sum / fast > slow_sum / slow ? std::log(c[d + 1] / c[d]) : 0;
		sum += r;
		sum2 += r * r;
		days++;
	}
	double mean = sum / days, var = sum2 / days - mean * mean;
	return var > 0 ? mean / std::sqrt(var) * std::sqrt(252.0) : 0;
}

// The objective: params = fast, slow, the bar the optimisation stands at.
extern "C" int evaluate(void *ctx, const double *p, uint32_t n, const rsw_task_info *,
			rsw_eval_out *out)
{
	const Market *m = static_cast<const Market *>(ctx);
	int fast = static_cast<int>(p[0]), slow = static_cast<int>(p[1]);
	int now = static_cast<int>(p[2]);

	if (n != 3 || now < LOOKBACK + slow || now > static_cast<int>(m->close.size()))
		return 1;
	out->value = crossover_sharpe(m->close, fast, slow, now - LOOKBACK, now);
	return 0;
}

Market load(const std::string &spec)
{
	std::string path = spec, column;
	if (auto colon = spec.rfind(':'); colon != std::string::npos) {
		path = spec.substr(0, colon);
		column = spec.substr(colon + 1);
	}
	std::ifstream in(path);
	if (!in)
		throw std::runtime_error("cannot read '" + path + "'");
	std::string line, cell;
	std::getline(in, line);
	std::stringstream header(line);
	int index = -1;
	for (int i = 0; std::getline(header, cell, ','); i++)
		if (i > 0 && index < 0 && (column.empty() || cell == column))
			index = i;
	if (index < 0)
		throw std::runtime_error("'" + path + "' has no column '" + column + "'");
	Market m;
	while (std::getline(in, line)) {
		std::stringstream row(line);
		for (int i = 0; std::getline(row, cell, ','); i++)
			if (i == index)
				m.close.push_back(std::stod(cell));
	}
	if (m.close.size() < FIRST + 2)
		throw std::runtime_error("'" + path + "': too few rows for a walk-forward");
	return m;
}

struct Run {
	std::vector<std::pair<int, int>> choices; // the winner of each sweep
	uint64_t tasks = 0;
	double sweep_wall_ns = 0, eval_ns = 0;
	double total_return = 0;
};

// The backtester: bar by bar; at every REOPT-th bar, a sweep.
Run backtest(Market &m, int workers, int mode)
{
	rsw_objective obj = { evaluate, nullptr, &m, nullptr };
	rsw_config cfg;
	rsw_config_init(&cfg);
	cfg.workers = workers;
	cfg.mode = mode;
	cfg.max_params = 3;
	rsw_engine *opened = nullptr;
	if (int rc = rsw_engine_open(&opened, &cfg, &obj); rc != 0)
		throw std::runtime_error(std::string("engine: ") + rsw_strerror(rc));
	// Closed however we leave (an exception too): workers, arena, all.
	std::unique_ptr<rsw_engine, void (*)(rsw_engine *)> engine(opened, rsw_engine_close);
	rsw_engine *e = engine.get();

	Run run;
	std::vector<double> grid;
	std::vector<rsw_result> results(512);
	int fast = 10, slow = 50;
	double equity = 1;
	for (int bar = FIRST; bar + 1 < static_cast<int>(m.close.size()); bar++) {
		if ((bar - FIRST) % REOPT == 0) {
			// Re-optimise: every (fast, slow) with fast < slow, as of now.
			grid.clear();
			for (int f = 2; f <= 40; f += 2)
				for (int s = 20; s <= 200; s += 10)
					if (f < s)
						grid.insert(grid.end(), { double(f), double(s), double(bar) });
			uint32_t n = static_cast<uint32_t>(grid.size() / 3), sent = 0, got = 0;
			double best = -INFINITY;
			uint64_t t0 = rsw_now_ns();
			while (got < n) {
				if (sent < n) {
					int k = rsw_engine_submit_batch(e, grid.data() + 3 * sent, 3,
									n - sent);
					if (k > 0)
						sent += static_cast<uint32_t>(k);
					else if (k != RSW_EAGAIN)
						throw std::runtime_error(rsw_strerror(k));
				}
				int k = rsw_engine_poll(e, results.data(),
							static_cast<uint32_t>(results.size()), -1);
				if (k < 0)
					throw std::runtime_error(rsw_strerror(k));
				for (int i = 0; i < k; i++) {
					const rsw_result &r = results[i];
					run.eval_ns += double(r.elapsed_ns);
					// Results come in sequence order: the first of equals wins.
					if (r.status == RSW_STATUS_OK && r.value > best) {
						uint64_t at = r.seq - run.tasks;
						best = r.value;
						fast = int(grid[3 * at]);
						slow = int(grid[3 * at + 1]);
					}
				}
				got += static_cast<uint32_t>(k);
			}
			run.sweep_wall_ns += double(rsw_now_ns() - t0);
			run.tasks += n;
			run.choices.emplace_back(fast, slow);
		}
		// The day's event: position from the signal at the close, P&L
		// of the next bar.
		double fast_ma = 0, slow_ma = 0;
		for (int d = bar - slow + 1; d <= bar; d++) {
			slow_ma += m.close[d] / slow;
			if (d > bar - fast)
				fast_ma += m.close[d] / fast;
		}
		if (fast_ma > slow_ma)
			equity *= m.close[bar + 1] / m.close[bar];
	}
	run.total_return = equity - 1;
	return run;
}

void report(const char *mode, const Run &r, int workers)
{
	std::printf("%-9s %zu re-optimisations, %llu evaluations: %.1f us of backtest "
		    "each, engine overhead %.2f us per task; sweeps %.1f ms in all; "
		    "strategy return %+.1f%%\n",
		    mode, r.choices.size(), static_cast<unsigned long long>(r.tasks),
		    r.eval_ns / double(r.tasks) / 1e3,
		    (r.sweep_wall_ns * workers - r.eval_ns) / double(r.tasks) / 1e3,
		    r.sweep_wall_ns / 1e6, 100 * r.total_return);
}

} // namespace

int main(int argc, char **argv)
{
	if (argc < 2) {
		std::fprintf(stderr, "usage: backtester CSV[:COLUMN] [workers]\n");
		return 2;
	}
	try {
		Market m = load(argv[1]);
		int workers = argc > 2 ? std::atoi(argv[2]) : 2;
		Run processes = backtest(m, workers, RSW_MODE_PROCESSES);
		Run threads = backtest(m, workers, RSW_MODE_THREADS);

		std::printf("%zu bars, %d workers\n", m.close.size(), workers);
		report("processes", processes, workers);
		report("threads", threads, workers);
		if (processes.choices != threads.choices ||
		    processes.total_return != threads.total_return) {
			std::printf("the two modes chose differently\n");
			return 1;
		}
		std::printf("both modes chose the same parameters at every step "
			    "(last: fast %d, slow %d)\n",
			    threads.choices.back().first, threads.choices.back().second);
	} catch (const std::exception &x) {
		std::fprintf(stderr, "backtester: %s\n", x.what());
		return 1;
	}
	return 0;
}
