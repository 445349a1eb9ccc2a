"""Benchmarks and load tests of the API: `make bench` (bench.run, then bench.scale) and
`make load` (bench.load). Servers run on loopback as subprocesses; the load is driven by wrk
(bench.driver) with the query mixes of bench.mixes."""
