"""Hotline call controller: the brains beside FreeSWITCH's muscle."""
