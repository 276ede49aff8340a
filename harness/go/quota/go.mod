module gort/harness/go/quota

go 1.23
