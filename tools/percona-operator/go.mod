module github.com/dittofs/function-dittofs/tools/percona-operator

go 1.26.0

require github.com/percona/percona-postgresql-operator/v2 v2.9.0 // indirect
