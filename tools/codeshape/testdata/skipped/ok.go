package clean

func one() int { return 1 }

func two() int {
	return 2
}
