from axios_portlint.cli import main

raise SystemExit(main())
