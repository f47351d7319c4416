"""Contact center: outbound campaigns and the dialer (issue 15).

Public face so far:
- `pacing`: `make_pacer(method, *, drop_target, ratio, max_ratio) -> Pacer`, `Snapshot`,
  `Outcome`, `PACERS` (the registry of dial methods), pure;
- `simulation`: `simulate_day`, `compare_methods`, `DayProfile`, `ObservedDay`, `DayResult`,
  pure and seeded, for tests, benchmarks and `centrex campaign simulate`.
"""
