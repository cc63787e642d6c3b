# config.mk — build settings a packager may override on the command line.
VERSION ?= 0.1.0
PREFIX ?= /usr/local
CC ?= cc
