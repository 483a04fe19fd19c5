module cbeam/bench/go

go 1.19
