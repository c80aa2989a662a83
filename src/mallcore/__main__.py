from mallcore.cli import main

raise SystemExit(main())
