module licensedesk.example/verifiers/go

go 1.19
