from monitor.present.cli import main

raise SystemExit(main())
