package peer

// OrDefault sets *v to d when *v is zero or negative: how a dialect's
// Config reads a limit, a count or an interval left unset.
func OrDefault[T ~int | ~int64 | ~float64](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}
