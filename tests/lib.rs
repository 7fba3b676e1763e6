//! Integration tests for the workspace; see the modules below.
#![cfg(test)]

mod arbitrary_responses;
mod faults;
mod mock;
mod raw_client;
mod sdk;
