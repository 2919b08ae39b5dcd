package bigfile

func f1() {}

func f2() {}

func f3() {}

func f4() {}

func f5() {}

func f6() {}

func f7() {}

func f8() {}

func f9() {}

func f10() {}
