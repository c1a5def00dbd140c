/// Time in seconds on a monotonic clock. Pure code takes it as a parameter and never reads a clock,
/// so tests drive it without sleeping.
public typealias Seconds = Double
