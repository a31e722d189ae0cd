//go:build !unix

package stress

import "errors"

func lowerFDLimit(n int) (func() error, error) {
	return nil, errors.New("stress: the descriptor limit can be lowered on unix systems only")
}

func isFDExhausted(err error) bool { return false }
