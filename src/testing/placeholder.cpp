namespace cleanlist::testing {}
