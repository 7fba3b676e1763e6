//! Integration tests for the workspace; see the modules below.
#![cfg(test)]

mod blocking;
mod browser;
mod common;
mod faults;
mod fuzz;
mod mock;
mod raw_client;
mod receiver;
mod sdk;
