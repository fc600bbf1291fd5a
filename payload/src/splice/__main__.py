from splice.doors.cli import main

main()
