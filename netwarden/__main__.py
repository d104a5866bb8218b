from netwarden.cli import main

main()
